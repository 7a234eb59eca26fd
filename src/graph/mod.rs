//! The layer DAG laid out for drawing: a layered (Sugiyama-style) top-to-bottom layout —
//! longest-path ranks, dummy nodes on edges that skip ranks, barycentre sweeps to reduce
//! crossings, then x positions pulled towards neighbours without overlaps. Pure data: the
//! app's graph view only draws what this computes.

pub mod csp;
mod layout;
pub mod view;

pub use layout::{Layout, LayoutNode, NodeKind, crossings, layout, layout_dag};
