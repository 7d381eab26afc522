//! The job engine: state machine, runner tasks and the SQLite journal.
