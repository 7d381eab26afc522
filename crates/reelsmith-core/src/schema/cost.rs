//! Cost estimates: fal's live unit price (per second, per video, per image, per megapixel)
//! applied to the form's values, or the small dated price table of the bundled endpoints when
//! no live price is at hand (offline, or not fetched yet). Each estimate says which it used.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::model::FormModel;
use crate::catalog::bundled::bundled_documents;
use crate::fal::platform::UnitPrice;

/// The day the prices below were read; estimates say so, since fal changes prices.
pub const PRICE_DATE: &str = "2026-01-28";

/// Bundled endpoints deliberately left out of the table (their price was not published when
/// the table was written); live prices cover them.
pub const UNPRICED_BUNDLED: &[&str] = &[
    "fal-ai/veo3.1/fast",
    "fal-ai/veo3.1/fast/image-to-video",
    "fal-ai/veo3.1/fast/extend-video",
    "fal-ai/kling-video/o1/reference-to-video",
    "fal-ai/video-as-prompt",
];

/// Where an estimate's price came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PriceSource {
    /// fal's `/models/pricing`, fetched then.
    Live {
        /// When the price was fetched.
        fetched_at: DateTime<Utc>,
    },
    /// fal's estimate call (`/models/pricing/estimate`).
    FalEstimate,
    /// The bundled table of [`PRICE_DATE`].
    Bundled,
}

/// A live price and when it was fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LivePrice {
    /// fal's price.
    pub price: UnitPrice,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
}

/// What fal counts to bill an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitKind {
    /// Seconds of video made.
    Seconds,
    /// Each video made.
    Video,
    /// Each image made.
    Image,
    /// Megapixels of images made.
    Megapixels,
    /// Something reelsmith cannot count from a form (GPU seconds, tokens…), as fal names it.
    Other(String),
}

impl UnitKind {
    /// The kind of fal's unit name (`seconds`, `second`, `video_second`, `video`,
    /// `megapixels`…); GPU or compute seconds are not seconds of video.
    pub fn of(unit: &str) -> UnitKind {
        let u = unit.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        let machine = ["gpu", "compute", "machine", "cpu"]
            .iter()
            .any(|m| u.contains(m));
        match u.as_str() {
            "s" | "sec" | "secs" => UnitKind::Seconds,
            "video" | "videos" | "clip" | "clips" => UnitKind::Video,
            "image" | "images" => UnitKind::Image,
            "mp" => UnitKind::Megapixels,
            _ if machine => UnitKind::Other(unit.trim().to_string()),
            _ if u.contains("megapixel") => UnitKind::Megapixels,
            _ if u.contains("second") => UnitKind::Seconds,
            _ => UnitKind::Other(unit.trim().to_string()),
        }
    }

    /// "/s", "/video"… for prices.
    pub fn per(&self) -> String {
        match self {
            UnitKind::Seconds => "/s".into(),
            UnitKind::Video => "/video".into(),
            UnitKind::Image => "/image".into(),
            UnitKind::Megapixels => "/megapixel".into(),
            UnitKind::Other(u) => format!(" per {u}"),
        }
    }
}

/// What a filled form is expected to cost.
#[derive(Debug, Clone, PartialEq)]
pub struct CostEstimate {
    /// The estimated price in US dollars.
    pub usd: f64,
    /// How it was worked out, e.g. "8 s × $0.40/s (720p, with audio)".
    pub basis: String,
    /// The date of the price it comes from (the table's, or the day a live price was fetched).
    pub price_date: String,
    /// Live, fal's estimate, or the bundled table.
    pub source: PriceSource,
    /// The billing unit used, as fal names it (`seconds` for the bundled table).
    pub unit: String,
    /// fal's price of one billing unit (the base price before the table's option ratios):
    /// billed units × this = what fal charges.
    pub unit_price: Option<f64>,
}

impl CostEstimate {
    /// Where the price came from, in words: "fal's live price, fetched 2026-12-02 10:04 UTC".
    pub fn source_text(&self) -> String {
        match &self.source {
            PriceSource::Live { fetched_at } => format!(
                "fal's live price, fetched {}",
                fetched_at.format("%Y-%m-%d %H:%M UTC")
            ),
            PriceSource::FalEstimate => "fal's own estimate".into(),
            PriceSource::Bundled => format!("the bundled price table of {}", self.price_date),
        }
    }
}

impl fmt::Display for CostEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            PriceSource::Bundled => write!(
                f,
                "about ${:.2} ({}; estimate from prices of {})",
                self.usd, self.basis, self.price_date
            ),
            _ => write!(
                f,
                "about ${:.2} ({}; estimate from {})",
                self.usd,
                self.basis,
                self.source_text()
            ),
        }
    }
}

/// Why no estimate could be made, in a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NoEstimate(pub String);

/// Per-second prices of one endpoint: (without audio, with audio) and the same at 4K, when known.
struct Rates {
    family: &'static str,
    normal: (f64, f64),
    uhd: Option<(f64, f64)>,
}

/// The price table. Endpoints not listed have no known price.
fn rates(endpoint_id: &str) -> Option<Rates> {
    const VEO: Rates = Rates {
        family: "Veo 3.1",
        normal: (0.20, 0.40),
        uhd: Some((0.40, 0.60)),
    };
    match endpoint_id {
        "fal-ai/veo3.1"
        | "fal-ai/veo3.1/image-to-video"
        | "fal-ai/veo3.1/reference-to-video"
        | "fal-ai/veo3.1/first-last-frame-to-video"
        | "fal-ai/veo3.1/extend-video" => Some(VEO),
        "fal-ai/veo3.1/fast/first-last-frame-to-video" => Some(Rates {
            family: "Veo 3.1 Fast",
            normal: (0.10, 0.15),
            uhd: None,
        }),
        // Kling O1 makes no sound, so both figures are the same.
        // The "Kling O1 reference-to-video" price is the seed (standard) endpoint's;
        // the pro tier costs more and its price is not in the table, so it stays unknown.
        "fal-ai/kling-video/o1/standard/reference-to-video" => Some(Rates {
            family: "Kling O1",
            normal: (0.112, 0.112),
            uhd: None,
        }),
        _ => None,
    }
}

/// The bundled table's price of an endpoint as fal's pricing call would state it: per second,
/// with audio, below 4K. `None` for endpoints not in the table.
pub fn bundled_unit_price(endpoint_id: &str) -> Option<(UnitKind, f64)> {
    rates(endpoint_id).map(|r| (UnitKind::Seconds, r.normal.1))
}

/// Estimates what submitting `payload` to `endpoint_id` costs from the bundled table; `None`
/// when the price is unknown (an endpoint not in the table, a 4K price not listed, or no
/// readable duration). Fields left out of the payload count at the bundled schema's defaults,
/// as fal applies them.
pub fn estimate(endpoint_id: &str, payload: &Value) -> Option<CostEstimate> {
    estimate_with(endpoint_id, payload, None).ok()
}

/// Estimates the cost with fal's live price when one is given, else the bundled table; the
/// error says why there is no estimate.
pub fn estimate_with(
    endpoint_id: &str,
    payload: &Value,
    live: Option<&LivePrice>,
) -> Result<CostEstimate, NoEstimate> {
    let defaults = bundled_defaults(endpoint_id);
    let pick = |name: &str| field(payload, defaults, name);
    let Some(live) = live else {
        let rates = rates(endpoint_id).ok_or_else(|| {
            NoEstimate(format!(
                "no price on record for {endpoint_id}: fal's live prices are not at hand \
                 (offline, or not fetched yet) and the bundled table of {PRICE_DATE} does not \
                 list it"
            ))
        })?;
        let (per_second, seconds, details) = per_second(&rates, payload, defaults, endpoint_id)?;
        return Ok(CostEstimate {
            usd: seconds * per_second,
            basis: format!(
                "{} s × ${}/s ({details})",
                super::validate::fmt_num(seconds),
                price(per_second)
            ),
            price_date: PRICE_DATE.to_string(),
            source: PriceSource::Bundled,
            unit: "seconds".into(),
            unit_price: Some(rates.normal.1),
        });
    };
    let p = &live.price;
    if !p.currency.eq_ignore_ascii_case("USD") {
        return Err(NoEstimate(format!(
            "fal prices {endpoint_id} in {}, and reelsmith estimates in US dollars only",
            p.currency
        )));
    }
    let kind = UnitKind::of(&p.unit);
    let count = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| pick(n).and_then(Value::as_f64))
            .filter(|n| n.is_finite() && *n >= 1.0)
            .unwrap_or(1.0)
    };
    let (usd, basis) = match &kind {
        UnitKind::Seconds => match rates(endpoint_id) {
            // The table's ratios (audio off, 4K) scale fal's base price per second.
            Some(rates) => {
                let (table, seconds, details) = per_second(&rates, payload, defaults, endpoint_id)?;
                let rate = p.unit_price * table / rates.normal.1;
                let scaled = if (table - rates.normal.1).abs() > 1e-12 {
                    format!(
                        "; fal's ${}/s scaled as the bundled table scales these options",
                        price(p.unit_price)
                    )
                } else {
                    String::new()
                };
                (
                    seconds * rate,
                    format!(
                        "{} s × ${}/s ({details}{scaled})",
                        super::validate::fmt_num(seconds),
                        price(rate)
                    ),
                )
            }
            None => {
                let seconds = pick("duration").and_then(seconds_of).ok_or_else(|| {
                    NoEstimate(format!(
                        "fal bills {endpoint_id} per second, but the form has no duration to \
                         count"
                    ))
                })?;
                (
                    seconds * p.unit_price,
                    format!(
                        "{} s × ${}/s",
                        super::validate::fmt_num(seconds),
                        price(p.unit_price)
                    ),
                )
            }
        },
        UnitKind::Video => {
            let n = count(&["num_videos", "num_outputs"]);
            (
                n * p.unit_price,
                format!(
                    "{} video{} × ${}/video",
                    super::validate::fmt_num(n),
                    if n == 1.0 { "" } else { "s" },
                    price(p.unit_price)
                ),
            )
        }
        UnitKind::Image => {
            let n = count(&["num_images"]);
            (
                n * p.unit_price,
                format!(
                    "{} image{} × ${}/image",
                    super::validate::fmt_num(n),
                    if n == 1.0 { "" } else { "s" },
                    price(p.unit_price)
                ),
            )
        }
        UnitKind::Megapixels => {
            let (w, h) = pick("image_size").and_then(size_of).ok_or_else(|| {
                NoEstimate(format!(
                    "fal bills {endpoint_id} per megapixel, but the form gives no image size \
                     in pixels"
                ))
            })?;
            let n = count(&["num_images"]);
            let mp = (w * h / 1e6).max(1.0 / 1e6) * n;
            (
                mp * p.unit_price,
                format!(
                    "{} × {} px × {} = {mp:.2} MP × ${}/megapixel",
                    super::validate::fmt_num(w),
                    super::validate::fmt_num(h),
                    super::validate::fmt_num(n),
                    price(p.unit_price)
                ),
            )
        }
        UnitKind::Other(unit) => {
            return Err(NoEstimate(format!(
                "fal bills {endpoint_id} at ${} per \"{unit}\", which reelsmith cannot count \
                 from the form",
                price(p.unit_price)
            )));
        }
    };
    Ok(CostEstimate {
        usd,
        basis,
        price_date: live.fetched_at.format("%Y-%m-%d").to_string(),
        source: PriceSource::Live {
            fetched_at: live.fetched_at,
        },
        unit: p.unit.clone(),
        unit_price: Some(p.unit_price),
    })
}

/// The table's price per second for the form's options, the seconds, and the options in words.
fn per_second(
    rates: &Rates,
    payload: &Value,
    defaults: Option<&Map<String, Value>>,
    endpoint_id: &str,
) -> Result<(f64, f64, String), NoEstimate> {
    let pick = |name: &str| field(payload, defaults, name);
    let seconds = pick("duration").and_then(seconds_of).ok_or_else(|| {
        NoEstimate(format!(
            "{endpoint_id} is priced per second, but the form has no duration to count"
        ))
    })?;
    let audio = rates.normal.0 != rates.normal.1
        && pick("generate_audio")
            .and_then(Value::as_bool)
            .unwrap_or(true);
    let resolution = pick("resolution").and_then(Value::as_str);
    let uhd = resolution.is_some_and(|r| r.eq_ignore_ascii_case("4k"));
    let (silent, loud) = if uhd {
        rates.uhd.ok_or_else(|| {
            NoEstimate(format!(
                "the 4K price of {endpoint_id} is not in the bundled table of {PRICE_DATE}"
            ))
        })?
    } else {
        rates.normal
    };
    let mut details: Vec<String> = vec![rates.family.to_string()];
    if let Some(r) = resolution {
        details.push(r.to_string());
    }
    if rates.normal.0 != rates.normal.1 {
        details.push(if audio { "with audio" } else { "without audio" }.to_string());
    }
    Ok((
        if audio { loud } else { silent },
        seconds,
        details.join(", "),
    ))
}

/// A field of the payload, or the bundled schema's default when the payload leaves it out.
fn field<'a>(
    payload: &'a Value,
    defaults: Option<&'a Map<String, Value>>,
    name: &str,
) -> Option<&'a Value> {
    payload
        .get(name)
        .or_else(|| defaults.and_then(|d| d.get(name)))
}

/// `{"width": W, "height": H}` or `"WxH"`.
fn size_of(v: &Value) -> Option<(f64, f64)> {
    let (w, h) = match v {
        Value::Object(o) => (o.get("width")?.as_f64()?, o.get("height")?.as_f64()?),
        Value::String(s) => {
            let (w, h) = s.split_once(['x', 'X', '×'])?;
            (w.trim().parse().ok()?, h.trim().parse().ok()?)
        }
        _ => return None,
    };
    (w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0).then_some((w, h))
}

/// Estimates a filled form (local files count as placeholders: they do not change the price).
pub fn estimate_form(model: &FormModel, state: &super::FormState) -> Option<CostEstimate> {
    let placeholder = |p: &std::path::Path| Some(format!("file://{}", p.display()));
    let payload = super::build_payload(model, state, &placeholder).ok()?;
    estimate(&model.endpoint_id, &payload)
}

/// A per-second price with two decimals, or three when needed: 0.4 → "0.40", 0.112 → "0.112".
fn price(usd: f64) -> String {
    let three = format!("{usd:.3}");
    match three.strip_suffix('0') {
        Some(two) => two.to_string(),
        None => three,
    }
}

/// The bundled schema's defaults of an endpoint, read once (the window asks on every change).
fn bundled_defaults(endpoint_id: &str) -> Option<&'static Map<String, Value>> {
    static DEFAULTS: OnceLock<BTreeMap<&'static str, Map<String, Value>>> = OnceLock::new();
    DEFAULTS
        .get_or_init(|| {
            bundled_documents()
                .iter()
                .filter_map(|(id, text)| {
                    let model = FormModel::from_openapi_str(text).ok()?;
                    Some((*id, model.defaults()))
                })
                .collect()
        })
        .get(endpoint_id)
}

/// Seconds from a duration value: `"8s"`, `"5"` or `5`.
pub(crate) fn seconds_of(v: &Value) -> Option<f64> {
    let s = match v {
        Value::Number(n) => return n.as_f64().filter(|f| f.is_finite() && *f > 0.0),
        Value::String(s) => s.trim().trim_end_matches('s').trim(),
        _ => return None,
    };
    s.parse::<f64>().ok().filter(|f| f.is_finite() && *f > 0.0)
}

/// Units for display: whole numbers without decimals, others with up to three.
pub fn fmt_units(units: f64) -> String {
    if units.fract() == 0.0 && units.abs() < 1e15 {
        format!("{}", units as i64)
    } else {
        let s = format!("{units:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_names_map_to_what_the_form_can_count() {
        for u in ["seconds", "second", "video_second", "Video Seconds", "s"] {
            assert_eq!(UnitKind::of(u), UnitKind::Seconds, "{u}");
        }
        assert_eq!(UnitKind::of("video"), UnitKind::Video);
        assert_eq!(UnitKind::of("images"), UnitKind::Image);
        assert_eq!(UnitKind::of("megapixels"), UnitKind::Megapixels);
        for u in ["gpu_seconds", "compute seconds", "1m tokens"] {
            assert!(matches!(UnitKind::of(u), UnitKind::Other(_)), "{u}");
        }
    }
}
