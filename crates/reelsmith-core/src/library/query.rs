//! Finding videos in the library: a query (words of the prompt, an endpoint) over library
//! items, the gallery's filter and search. It runs over a slice today and is the one place to
//! switch to an index later.

use super::LibraryItem;

/// What to look for; the empty query matches every video.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LibraryQuery {
    /// Words that must all occur in the prompt (case-insensitive).
    words: Vec<String>,
    /// Only videos of this endpoint.
    endpoint: Option<String>,
}

impl LibraryQuery {
    /// A query for `search` (split into words) and `endpoint`.
    pub fn new(search: &str, endpoint: Option<&str>) -> LibraryQuery {
        LibraryQuery {
            words: search
                .to_lowercase()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            endpoint: endpoint.map(str::to_string),
        }
    }

    /// True when the query matches everything.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.endpoint.is_none()
    }

    /// True when `item` matches.
    pub fn matches(&self, item: &LibraryItem) -> bool {
        if self
            .endpoint
            .as_deref()
            .is_some_and(|e| item.endpoint_id != e)
        {
            return false;
        }
        if self.words.is_empty() {
            return true;
        }
        let prompt = item.prompt.to_lowercase();
        self.words.iter().all(|w| prompt.contains(w))
    }

    /// The positions in `items` of the matching videos, in their order.
    pub fn positions(&self, items: &[LibraryItem]) -> Vec<usize> {
        items
            .iter()
            .enumerate()
            .filter(|(_, i)| self.matches(i))
            .map(|(n, _)| n)
            .collect()
    }

    /// The matching videos, in their order.
    pub fn filter<'a>(&self, items: &'a [LibraryItem]) -> Vec<&'a LibraryItem> {
        items.iter().filter(|i| self.matches(i)).collect()
    }
}

/// The endpoints that occur in `items`, sorted, once each (the gallery's endpoint menu).
pub fn endpoints(items: &[LibraryItem]) -> Vec<String> {
    let set: std::collections::BTreeSet<&str> =
        items.iter().map(|i| i.endpoint_id.as_str()).collect();
    set.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(endpoint: &str, prompt: &str) -> LibraryItem {
        LibraryItem {
            job_id: prompt.into(),
            path: "v.mp4".into(),
            sidecar: "v.json".into(),
            endpoint_id: endpoint.into(),
            prompt: prompt.into(),
            request_id: None,
            seed: None,
            size: 0,
            blake3: String::new(),
            created_at: Default::default(),
            finished_at: Default::default(),
        }
    }

    #[test]
    fn every_word_must_occur_and_the_endpoint_must_match() {
        let items = vec![
            item("fal-ai/veo3.1", "A Lighthouse at dusk"),
            item("fal-ai/kling", "lighthouse in fog"),
            item("fal-ai/veo3.1", "a cat"),
        ];
        assert_eq!(LibraryQuery::new("", None).positions(&items), [0, 1, 2]);
        assert_eq!(
            LibraryQuery::new("lighthouse", None).positions(&items),
            [0, 1]
        );
        assert_eq!(LibraryQuery::new("DUSK light", None).positions(&items), [0]);
        assert_eq!(
            LibraryQuery::new("lighthouse", Some("fal-ai/kling")).positions(&items),
            [1]
        );
        assert!(LibraryQuery::new("  ", None).is_empty());
        assert_eq!(endpoints(&items), ["fal-ai/kling", "fal-ai/veo3.1"]);
    }
}
