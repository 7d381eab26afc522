//! Variations: one form submitted several times, each with its own seed when the endpoint
//! takes one, so that "Generate ×3" gives three different videos.

use rand::Rng;

use crate::schema::{FieldValue, FormModel, FormState};

/// Largest seed given to variations (fal's seeds are 32-bit signed).
pub const SEED_MAX: i64 = 2_147_483_647;

/// `count` copies of `state` to submit. With a seed field and more than one copy, every copy
/// but the first gets a random seed, and the first keeps the user's seed (a random one when
/// none is set); a single copy is sent as it is.
pub fn with_seeds(
    model: &FormModel,
    state: &FormState,
    count: u32,
    rng: &mut impl Rng,
) -> Vec<FormState> {
    let has_seed = model.field("seed").is_some();
    (0..count)
        .map(|i| {
            let mut form = state.clone();
            if has_seed && count > 1 && (i > 0 || form.get("seed").is_none()) {
                form.values.insert(
                    "seed".into(),
                    FieldValue::Integer(rng.random_range(0..=SEED_MAX)),
                );
            }
            form
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn copies_get_their_own_seeds_and_the_first_keeps_the_users() {
        let catalog = crate::catalog::Catalog::load(
            &std::env::temp_dir().join("reelsmith-variations-no-cache"),
        );
        let model = catalog.model("fal-ai/veo3.1").unwrap();
        assert!(model.field("seed").is_some());
        let mut state = FormState::from_defaults(&model);
        state.values.insert("seed".into(), FieldValue::Integer(42));
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let forms = with_seeds(&model, &state, 3, &mut rng);
        assert_eq!(forms.len(), 3);
        assert_eq!(forms[0].get("seed"), Some(&FieldValue::Integer(42)));
        let seeds: std::collections::HashSet<_> = forms
            .iter()
            .map(|f| format!("{:?}", f.get("seed")))
            .collect();
        assert_eq!(seeds.len(), 3, "each copy has its own seed");
        let one = with_seeds(&model, &FormState::from_defaults(&model), 1, &mut rng);
        assert_eq!(
            one[0].get("seed"),
            None,
            "a single job is sent as the user left it"
        );
    }
}
