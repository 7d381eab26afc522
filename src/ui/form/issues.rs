//! Validation messages beside their field, and those with no field on the form.

use super::*;

/// The messages about one field, right under it.
pub(super) fn field_issues(ui: &mut Ui, issues: &[Issue], path: &str, quiet: bool) {
    if quiet {
        return;
    }
    for issue in issues.iter().filter(|i| i.field == path) {
        issue_line(ui, issue);
    }
}

pub(super) fn issue_line(ui: &mut Ui, issue: &Issue) {
    let (tone, mark) = match issue.severity {
        Severity::Error => (Tone::Danger, "•"),
        Severity::Warning => (Tone::Warning, "•"),
    };
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        let c = theme::tone(ui, tone);
        ui.label(RichText::new(mark).small().color(c));
        ui.label(RichText::new(&issue.message).small().color(c));
    });
}

/// Issues about paths no widget drew (cross-field rules, unknown paths): listed at the end.
pub(super) fn orphan_issues(ui: &mut Ui, model: &FormModel, issues: &[Issue]) {
    let drawn = |path: &str| {
        let top = path.split(['.', '[']).next().unwrap_or(path);
        model.fields.iter().any(|f| f.name == top) && path == top
            || path.contains('[') && model.fields.iter().any(|f| f.name == top)
    };
    let orphans: Vec<&Issue> = issues.iter().filter(|i| !drawn(&i.field)).collect();
    if orphans.is_empty() {
        return;
    }
    ui.add_space(8.0);
    for issue in orphans {
        issue_line(ui, issue);
    }
}
