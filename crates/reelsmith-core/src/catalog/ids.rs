//! Endpoint ids: what a valid one looks like, and its file name in the cache.

use super::CatalogError;

/// Checks that `id` looks like a fal endpoint id (`owner/name[/sub/path]`) and is safe to use
/// in a URL query and a file name.
pub fn check_endpoint_id(id: &str) -> Result<(), CatalogError> {
    let invalid = |reason: &str| CatalogError::InvalidId {
        id: id.to_string(),
        reason: reason.to_string(),
    };
    if id.is_empty() || id.len() > 200 {
        return Err(invalid("it must be 1 to 200 characters long"));
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'))
    {
        return Err(invalid(
            "only letters, digits, '/', '-', '_' and '.' are allowed",
        ));
    }
    let segments: Vec<&str> = id.split('/').collect();
    if segments.len() < 2 {
        return Err(invalid("it needs an owner and a name separated by '/'"));
    }
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return Err(invalid("it has an empty, '.' or '..' part"));
    }
    if id.contains("__") {
        return Err(invalid("it contains '__'"));
    }
    Ok(())
}

/// The cache file name of an endpoint: `/` becomes `__`, as in `assets/endpoints/`.
pub(crate) fn file_name(id: &str) -> String {
    format!("{}.json", id.replace('/', "__"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_ids_and_refuses_unsafe_ones() {
        for ok in [
            "fal-ai/veo3.1",
            "fal-ai/kling-video/o1/standard/reference-to-video",
            "bytedance/seedream/v4/text-to-image",
        ] {
            assert!(check_endpoint_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "veo",
            "fal-ai/../etc",
            "fal-ai//x",
            "a/b c",
            "a/b?x=1",
            "/a/b",
            "a/b__c",
        ] {
            let err = check_endpoint_id(bad).unwrap_err().to_string();
            assert!(err.contains("not a valid endpoint id"), "{bad}: {err}");
        }
        assert_eq!(file_name("fal-ai/veo3.1/fast"), "fal-ai__veo3.1__fast.json");
    }
}
