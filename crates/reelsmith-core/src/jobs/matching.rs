//! Which request in fal's history is the submit whose answer was lost: the one whose input
//! holds every field we sent with equal values (fal may add defaults), received between the
//! moment we sent it and the moment we gave up on the answer, and held by no other job.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::fal::platform::HistoryItem;

/// How far fal's clock and ours may disagree.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// What was sent, when, and since when no answer came.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// The endpoint it went to.
    pub endpoint_id: &'a str,
    /// The JSON body exactly as sent.
    pub input: &'a Value,
    /// When the POST went out.
    pub sent_at: DateTime<Utc>,
    /// When the answer was given up on (no later request can be this one).
    pub noticed_at: DateTime<Utc>,
}

/// Why the requests seen were not this submit, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rejections {
    /// Requests listed in the window.
    pub seen: usize,
    /// Listed without their input (payloads expired, deleted, or never stored).
    pub without_payload: usize,
    /// With a different input.
    pub different: usize,
    /// Received too early or too late.
    pub out_of_time: usize,
    /// The same input, but another job of the journal already holds the request.
    pub taken: usize,
}

/// The outcome of matching.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// No request fits.
    None(Rejections),
    /// Exactly one fits.
    One(HistoryItem),
    /// Several fit: the one received closest to the send time, and the ids of the others.
    Closest {
        /// The chosen request.
        chosen: HistoryItem,
        /// The other requests that fit as well.
        others: Vec<String>,
    },
}

/// True when `got` holds everything in `sent`: objects by key (extra keys in `got` are
/// defaults fal added), arrays element by element, numbers by value (`5` = `5.0`).
pub fn holds(got: &Value, sent: &Value) -> bool {
    match (sent, got) {
        (Value::Object(want), Value::Object(have)) => want
            .iter()
            .all(|(k, v)| have.get(k).is_some_and(|h| holds(h, v))),
        (Value::Array(want), Value::Array(have)) => {
            want.len() == have.len() && want.iter().zip(have).all(|(w, h)| holds(h, w))
        }
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => a.as_f64().zip(b.as_f64()).is_some_and(|(x, y)| x == y),
        },
        _ => sent == got,
    }
}

/// Picks the request of `items` that is this submit; `taken` are request ids other jobs hold.
pub fn find(sent: Sent<'_>, items: &[HistoryItem], taken: &HashSet<String>) -> Match {
    let mut why = Rejections::default();
    let earliest = sent.sent_at - CLOCK_SKEW;
    let latest = sent.noticed_at.max(sent.sent_at) + CLOCK_SKEW;
    let mut fits: Vec<(&HistoryItem, Duration)> = Vec::new();
    for item in items.iter().filter(|i| i.endpoint_id == sent.endpoint_id) {
        why.seen += 1;
        let Some(input) = &item.json_input else {
            why.without_payload += 1;
            continue;
        };
        if !holds(input, sent.input) {
            why.different += 1;
            continue;
        }
        let Some(at) = item.sent_at.or(item.started_at) else {
            why.out_of_time += 1;
            continue;
        };
        if at < earliest || at > latest {
            why.out_of_time += 1;
            continue;
        }
        if taken.contains(&item.request_id) {
            why.taken += 1;
            continue;
        }
        if fits.iter().any(|(f, _)| f.request_id == item.request_id) {
            continue;
        }
        fits.push((item, (at - sent.sent_at).abs()));
    }
    fits.sort_by_key(|(_, distance)| *distance);
    let mut fits = fits.into_iter();
    match fits.next() {
        None => Match::None(why),
        Some((first, _)) => {
            let others: Vec<String> = fits.map(|(i, _)| i.request_id.clone()).collect();
            if others.is_empty() {
                Match::One(first.clone())
            } else {
                Match::Closest {
                    chosen: first.clone(),
                    others,
                }
            }
        }
    }
}

impl std::fmt::Display for Rejections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} request(s) listed in the time window", self.seen)?;
        let mut parts = Vec::new();
        if self.different > 0 {
            parts.push(format!("{} with other input", self.different));
        }
        if self.without_payload > 0 {
            parts.push(format!(
                "{} without their input (payloads expired or not stored)",
                self.without_payload
            ));
        }
        if self.out_of_time > 0 {
            parts.push(format!("{} at other times", self.out_of_time));
        }
        if self.taken > 0 {
            parts.push(format!("{} already held by other jobs", self.taken));
        }
        if !parts.is_empty() {
            write!(f, ": {}", parts.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EP: &str = "fal-ai/veo3.1/image-to-video";

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_760_000_000 + secs, 0).unwrap()
    }

    fn item(id: &str, at: i64, input: Option<Value>) -> HistoryItem {
        HistoryItem {
            request_id: id.into(),
            endpoint_id: EP.into(),
            sent_at: Some(t(at)),
            started_at: None,
            ended_at: None,
            status_code: None,
            duration: None,
            json_input: input,
            json_output: None,
        }
    }

    fn sent(input: &Value) -> Sent<'_> {
        Sent {
            endpoint_id: EP,
            input,
            sent_at: t(0),
            noticed_at: t(120),
        }
    }

    #[test]
    fn every_field_sent_must_be_there_with_its_value() {
        let ours = json!({"prompt": "a fox", "seed": 7, "image_url": "https://x/a.png",
                          "extra": {"list": [1, 2.5]}});
        assert!(holds(&ours, &ours));
        // fal added defaults, at the top and inside objects; 7 came back as 7.0.
        let with_defaults = json!({"prompt": "a fox", "seed": 7.0, "image_url": "https://x/a.png",
            "extra": {"list": [1.0, 2.5], "mode": "std"}, "resolution": "720p"});
        assert!(holds(&with_defaults, &ours));
        for other in [
            json!({"prompt": "a fox", "image_url": "https://x/a.png", "extra": {"list": [1, 2.5]}}),
            json!({"prompt": "a fox", "seed": 8, "image_url": "https://x/a.png", "extra": {"list": [1, 2.5]}}),
            json!({"prompt": "a fox", "seed": 7, "image_url": "https://x/a.png", "extra": {"list": [1, 2.5, 3]}}),
            json!({"prompt": "a fox", "seed": "7", "image_url": "https://x/a.png", "extra": {"list": [1, 2.5]}}),
        ] {
            assert!(!holds(&other, &ours), "{other}");
        }
    }

    #[test]
    fn only_a_request_received_in_the_window_is_this_one() {
        let ours = json!({"prompt": "p", "seed": 1});
        let items = vec![
            item("early", -400, Some(ours.clone())),
            item("late", 120 + 301, Some(ours.clone())),
            item("other", 1, Some(json!({"prompt": "q", "seed": 1}))),
            item("bare", 1, None),
        ];
        let Match::None(why) = find(sent(&ours), &items, &HashSet::new()) else {
            panic!()
        };
        assert_eq!(
            why,
            Rejections {
                seen: 4,
                without_payload: 1,
                different: 1,
                out_of_time: 2,
                taken: 0
            }
        );
        assert!(why.to_string().contains("without their input"));
        let mut items = items;
        items.push(item(
            "right",
            3,
            Some(json!({"prompt": "p", "seed": 1, "fps": 24})),
        ));
        assert_eq!(
            find(sent(&ours), &items, &HashSet::new()),
            Match::One(items[4].clone())
        );
    }

    #[test]
    fn a_request_another_job_holds_is_never_taken() {
        let ours = json!({"prompt": "p"});
        let items = vec![item("held", 2, Some(ours.clone()))];
        let taken: HashSet<String> = ["held".to_string()].into();
        assert!(matches!(
            find(sent(&ours), &items, &taken),
            Match::None(Rejections { taken: 1, .. })
        ));
        // Another endpoint's requests are not even counted.
        let mut elsewhere = item("x", 2, Some(ours.clone()));
        elsewhere.endpoint_id = "fal-ai/veo3.1".into();
        assert!(matches!(
            find(sent(&ours), &[elsewhere], &HashSet::new()),
            Match::None(Rejections { seen: 0, .. })
        ));
    }

    #[test]
    fn of_several_the_closest_in_time_is_chosen_and_the_others_named() {
        let ours = json!({"prompt": "same"});
        let items = vec![
            item("far", 90, Some(ours.clone())),
            item("near", -2, Some(ours.clone())),
            item("mid", 20, Some(ours.clone())),
            item("near", -2, Some(ours.clone())),
        ];
        let Match::Closest { chosen, others } = find(sent(&ours), &items, &HashSet::new()) else {
            panic!()
        };
        assert_eq!(chosen.request_id, "near");
        assert_eq!(others, ["mid", "far"]);
    }
}
