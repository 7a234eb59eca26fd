//! Which of the two open networks a view, a job or a command is about.

/// Which of the two open networks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Slot {
    /// The network on the left (the one the graph, table and charts show first).
    A,
    /// The network it is compared with.
    B,
}

impl Slot {
    /// 0 for A, 1 for B.
    pub fn index(self) -> usize {
        match self {
            Self::A => 0,
            Self::B => 1,
        }
    }
}
