//! The gallery's multi-selection: a set of videos, the anchor a Shift range starts from and
//! the focus the arrow keys move (the details panel shows the focused video). Everything works
//! on the visible order (the query's answer), by job id, so a re-sort keeps what is selected.

use std::collections::HashSet;

/// Selected videos, anchor and focus (job ids).
#[derive(Debug, Default, Clone)]
pub struct Selection {
    /// The selected videos.
    pub set: HashSet<String>,
    /// Where a Shift range starts.
    pub anchor: Option<String>,
    /// The video the keys act on and the details panel shows.
    pub focus: Option<String>,
}

/// How a click or an arrow key changes the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extend {
    /// Select only this one.
    Only,
    /// Add it or take it out (Ctrl-click, Space).
    Toggle,
    /// Select from the anchor to here (Shift).
    Range,
}

impl Selection {
    /// Selects `id` the way `how` says, within the visible order `visible`.
    pub fn pick(&mut self, visible: &[String], id: &str, how: Extend) {
        match how {
            Extend::Only => {
                self.set.clear();
                self.set.insert(id.to_string());
                self.anchor = Some(id.to_string());
            }
            Extend::Toggle => {
                if !self.set.remove(id) {
                    self.set.insert(id.to_string());
                }
                self.anchor = Some(id.to_string());
            }
            Extend::Range => {
                let anchor = self
                    .anchor
                    .clone()
                    .filter(|a| visible.contains(a))
                    .unwrap_or_else(|| id.to_string());
                let a = visible.iter().position(|v| *v == anchor);
                let b = visible.iter().position(|v| v == id);
                self.set.clear();
                if let (Some(a), Some(b)) = (a, b) {
                    let (lo, hi) = (a.min(b), a.max(b));
                    self.set.extend(visible[lo..=hi].iter().cloned());
                } else {
                    self.set.insert(id.to_string());
                }
                self.anchor = Some(anchor);
            }
        }
        self.focus = Some(id.to_string());
    }

    /// Moves the focus by `delta` places in `visible` (±1 for Left/Right, ±columns for
    /// Up/Down), selecting like `how`; the first video takes the focus when none has it.
    /// Returns the new focus's position.
    pub fn step(&mut self, visible: &[String], delta: isize, how: Extend) -> Option<usize> {
        if visible.is_empty() {
            return None;
        }
        let at = self
            .focus
            .as_ref()
            .and_then(|f| visible.iter().position(|v| v == f));
        let to = match at {
            None => 0,
            Some(at) => {
                let to = at as isize + delta;
                if to < 0 || to >= visible.len() as isize {
                    // Up on the first row, Down on the last: stay (a partial last row
                    // takes Down to its last video).
                    if delta > 0
                        && at / delta.unsigned_abs() < (visible.len() - 1) / delta.unsigned_abs()
                    {
                        visible.len() - 1
                    } else {
                        at
                    }
                } else {
                    to as usize
                }
            }
        };
        let id = visible[to].clone();
        match how {
            // Space toggles; moving with the arrows alone selects where the focus lands.
            Extend::Toggle => self.focus = Some(id),
            other => self.pick(visible, &id, other),
        }
        Some(to)
    }

    /// Selects every visible video (Ctrl+A).
    pub fn all(&mut self, visible: &[String]) {
        self.set = visible.iter().cloned().collect();
        if self.focus.as_ref().is_none_or(|f| !self.set.contains(f)) {
            self.focus = visible.first().cloned();
        }
        self.anchor = self.focus.clone();
    }

    /// Clears it all (Esc).
    pub fn clear(&mut self) {
        *self = Selection::default();
    }

    /// Forgets videos that are gone (deleted, filtered away by the index).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.set.retain(|id| keep(id));
        if self.focus.as_deref().is_some_and(|f| !keep(f)) {
            self.focus = None;
        }
        if self.anchor.as_deref().is_some_and(|a| !keep(a)) {
            self.anchor = None;
        }
    }

    /// The selected videos in the visible order; the focused one alone when none is selected.
    /// Selected videos the search or a filter hides are left out: what is acted on (marked,
    /// deleted, copied) is always on screen.
    pub fn ordered(&self, visible: &[String]) -> Vec<String> {
        if self.set.is_empty() {
            return self
                .focus
                .iter()
                .filter(|f| visible.contains(f))
                .cloned()
                .collect();
        }
        if self.set.len() == 1 {
            // The usual case, without a hash lookup per video of the library.
            return self
                .set
                .iter()
                .filter(|s| visible.contains(s))
                .cloned()
                .collect();
        }
        visible
            .iter()
            .filter(|v| self.set.contains(*v))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("v{i}")).collect()
    }

    fn sorted(s: &Selection) -> Vec<String> {
        let mut v: Vec<String> = s.set.iter().cloned().collect();
        v.sort();
        v
    }

    #[test]
    fn arrows_move_by_one_and_by_columns_and_shift_selects_a_range() {
        let v = ids(10);
        let mut s = Selection::default();
        assert_eq!(s.step(&v, 1, Extend::Only), Some(0));
        assert_eq!(s.step(&v, 1, Extend::Only), Some(1));
        assert_eq!(s.step(&v, 4, Extend::Only), Some(5));
        assert_eq!(sorted(&s), ["v5"]);
        assert_eq!(s.step(&v, 1, Extend::Range), Some(6));
        assert_eq!(s.step(&v, 1, Extend::Range), Some(7));
        assert_eq!(sorted(&s), ["v5", "v6", "v7"]);
        // Down from the second-last row of 4 columns lands on the partial last row's end.
        assert_eq!(s.step(&v, 4, Extend::Only), Some(9));
        assert_eq!(s.step(&v, 4, Extend::Only), Some(9));
        assert_eq!(s.step(&v, -4, Extend::Only), Some(5));
        s.pick(&v, "v2", Extend::Toggle);
        assert_eq!(sorted(&s), ["v2", "v5"]);
        s.pick(&v, "v0", Extend::Range);
        assert_eq!(sorted(&s), ["v0", "v1", "v2"]);
        s.all(&v);
        assert_eq!(s.set.len(), 10);
        s.clear();
        assert!(s.set.is_empty() && s.focus.is_none());
    }
}
