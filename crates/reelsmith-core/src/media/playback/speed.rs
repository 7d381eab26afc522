//! Playback speeds and the J/K/L keys: L plays forward and speeds up (1×, 2×, 4×), J plays
//! backward and speeds up (-1×, -2×, -4×), K pauses. Sound plays only at 1×; at other speeds
//! it is skipped (muted), as editors do, since pitch-shifted or reversed sound helps no one
//! judge a cut.

/// A playback speed: a multiple of real time, negative for reverse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Speed(pub f64);

impl Speed {
    /// Normal playback, with sound.
    pub const NORMAL: Speed = Speed(1.0);

    /// The fastest J/K/L speed.
    pub const MAX: f64 = 4.0;

    /// True at 1× forward, the only speed with sound.
    pub fn has_sound(self) -> bool {
        (self.0 - 1.0).abs() < 1e-9
    }

    /// The speed after pressing L at this speed while playing (`None` = paused).
    pub fn after_l(current: Option<Speed>) -> Speed {
        match current {
            Some(Speed(s)) if s > 0.0 => Speed((s * 2.0).min(Speed::MAX)),
            _ => Speed::NORMAL,
        }
    }

    /// The speed after pressing J.
    pub fn after_j(current: Option<Speed>) -> Speed {
        match current {
            Some(Speed(s)) if s < 0.0 => Speed((s * 2.0).max(-Speed::MAX)),
            _ => Speed(-1.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jkl_cycles() {
        let l1 = Speed::after_l(None);
        assert_eq!(l1, Speed::NORMAL);
        let l2 = Speed::after_l(Some(l1));
        assert_eq!(l2, Speed(2.0));
        assert_eq!(Speed::after_l(Some(Speed(4.0))), Speed(4.0));
        assert_eq!(Speed::after_j(Some(l2)), Speed(-1.0));
        assert_eq!(Speed::after_j(Some(Speed(-1.0))), Speed(-2.0));
        assert!(Speed::NORMAL.has_sound() && !Speed(2.0).has_sound() && !Speed(-1.0).has_sound());
    }
}
