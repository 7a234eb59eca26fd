//! The layer table: darknet's columns plus memory and the CSP stage, sortable by clicking a
//! header (sorting by stage groups the rows stage by stage), only the visible rows laid out,
//! the selected layer highlighted and scrolled to.

use crate::gui::doc::Document;
use crate::kinds::LayerKind;
use egui_extras::{Column, TableBuilder};

/// A sortable column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SortBy {
    /// Layer index (execution order).
    Index,
    /// Layer type.
    Type,
    /// BFLOPs.
    Bflops,
    /// Parameters.
    Params,
    /// Output memory.
    Memory,
    /// Receptive field (darknet's rule).
    Receptive,
    /// CSP stage, then index: the rows grouped stage by stage, layers outside stages last.
    Stage,
}

/// Sort state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TableState {
    /// The column.
    pub by: SortBy,
    /// Largest first.
    pub descending: bool,
}

impl Default for TableState {
    fn default() -> Self {
        Self {
            by: SortBy::Index,
            descending: false,
        }
    }
}

/// Row order of the table.
pub fn order(doc: &Document, st: &TableState) -> Vec<usize> {
    let a = &doc.analysis;
    let mut rows: Vec<usize> = (0..a.network.layers.len()).collect();
    match st.by {
        SortBy::Index => {}
        SortBy::Type => rows.sort_by_key(|&i| a.network.layers[i].kind.type_name()),
        SortBy::Bflops => rows.sort_by(|&x, &y| {
            a.profile.layers[x]
                .bflops
                .total_cmp(&a.profile.layers[y].bflops)
        }),
        SortBy::Params => rows.sort_by_key(|&i| a.profile.layers[i].params),
        SortBy::Memory => rows.sort_by_key(|&i| a.memory.layers[i].activation_bytes),
        SortBy::Receptive => rows.sort_by_key(|&i| a.profile.receptive_fields.get(i).copied()),
        SortBy::Stage => rows.sort_by_key(|&i| (a.csp.stage_of(i).unwrap_or(usize::MAX), i)),
    }
    if st.descending {
        rows.reverse();
    }
    rows
}

/// The row order of the last sort, recomputed only when the sort or the network changes (not
/// every frame).
#[derive(Debug, Default)]
pub struct RowCache {
    key: Option<(TableState, usize)>,
    rows: Vec<usize>,
}

impl RowCache {
    /// Sorts again when the sort or the network changed (the app's logic, before a frame).
    pub fn refresh(&mut self, doc: &Document, st: &TableState) {
        let key = (*st, std::sync::Arc::as_ptr(&doc.analysis) as usize);
        if self.key != Some(key) {
            self.rows = order(doc, st);
            self.key = Some(key);
        }
    }

    /// The rows of the last refresh.
    pub fn current(&self) -> &[usize] {
        &self.rows
    }
}

/// "filters", "size/stride" as darknet's table prints them.
fn filters_size(kind: &LayerKind) -> (String, String) {
    match kind {
        LayerKind::Convolutional(c) => (
            c.filters.to_string(),
            format!("{}×{}/{}", c.size, c.size, c.stride_x),
        ),
        LayerKind::Maxpool(p) | LayerKind::LocalAvgpool(p) => (
            String::new(),
            format!("{}×{}/{}", p.size, p.size, p.stride_x),
        ),
        LayerKind::Route(r) => (format!("{:?}", r.layers), String::new()),
        LayerKind::Shortcut(s) => (format!("{:?}", s.from), String::new()),
        LayerKind::Avgpool(_)
        | LayerKind::Upsample(_)
        | LayerKind::Reorg(_)
        | LayerKind::Reorg3d(_)
        | LayerKind::Yolo(_)
        | LayerKind::GaussianYolo(_)
        | LayerKind::Region(_)
        | LayerKind::Detection(_)
        | LayerKind::Connected(_)
        | LayerKind::Softmax(_)
        | LayerKind::Dropout(_)
        | LayerKind::Cost(_)
        | LayerKind::Crop(_)
        | LayerKind::Sam(_)
        | LayerKind::ScaleChannels(_)
        | LayerKind::Batchnorm(_)
        | LayerKind::Implicit(_)
        | LayerKind::Contrastive(_)
        | LayerKind::Empty(_)
        | LayerKind::Activation(_)
        | LayerKind::Rnn(_)
        | LayerKind::Lstm(_)
        | LayerKind::Gru(_)
        | LayerKind::Crnn(_)
        | LayerKind::ConvLstm(_)
        | LayerKind::Deconvolutional(_)
        | LayerKind::Local(_)
        | LayerKind::Normalization(_)
        | LayerKind::L2norm(_) => (String::new(), String::new()),
    }
}

const HEADERS: [(&str, Option<SortBy>); 13] = [
    ("layer", Some(SortBy::Index)),
    ("type", Some(SortBy::Type)),
    ("filters/from", None),
    ("size", None),
    ("input", None),
    ("output", None),
    ("BFLOPs", Some(SortBy::Bflops)),
    ("params", Some(SortBy::Params)),
    ("memory KiB", Some(SortBy::Memory)),
    ("receptive field", Some(SortBy::Receptive)),
    ("GFLOP/s", None),
    ("% of roof", None),
    ("CSP stage", Some(SortBy::Stage)),
];

/// Draws the table; returns the layer of a clicked row.
pub fn show(
    ui: &mut egui::Ui,
    doc: &Document,
    st: &TableState,
    rows: &[usize],
    selected: Option<usize>,
    scroll_to_selected: bool,
) -> (Option<usize>, Option<SortBy>) {
    let a = &doc.analysis;
    let roof = doc.detection.as_ref().and_then(|r| r.roofline.clone());
    let mut clicked = None;
    let mut sort = None;
    let mut table = TableBuilder::new(ui)
        .id_salt("layer-table")
        .striped(true)
        .sense(egui::Sense::click())
        .column(Column::auto().at_least(44.0))
        .column(Column::auto().at_least(80.0))
        .columns(Column::auto().at_least(60.0), 2)
        .columns(Column::auto().at_least(90.0), 2)
        .columns(Column::auto().at_least(70.0), 7)
        .min_scrolled_height(0.0);
    if scroll_to_selected
        && let Some(pos) = selected.and_then(|s| rows.iter().position(|&r| r == s))
    {
        table = table.scroll_to_row(pos, Some(egui::Align::Center));
    }
    table
        .header(22.0, |mut header| {
            for (name, by) in HEADERS {
                header.col(|ui| {
                    let Some(by) = by else {
                        ui.strong(name);
                        return;
                    };
                    let arrow = match (st.by == by, st.descending) {
                        (true, true) => " ⏷",
                        (true, false) => " ⏶",
                        _ => "",
                    };
                    if ui.button(format!("{name}{arrow}")).clicked() {
                        sort = Some(by);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(20.0, rows.len(), |mut row| {
                let i = rows[row.index()];
                let layer = &a.network.layers[i];
                let s = &a.shapes.layers[i];
                let (f, size) = filters_size(&layer.kind);
                // the last run's rate and its share of the backend's ceiling
                let achieved = (roof.as_ref())
                    .and_then(|p| p.binary_search_by_key(&i, |x| x.layer).ok().map(|k| p[k]))
                    .map_or((String::new(), String::new()), |p| {
                        (
                            format!("{:.2}", p.rate / 1e9),
                            format!("{:.0}%", p.share * 100.0),
                        )
                    });
                row.set_selected(selected == Some(i));
                let cells = [
                    i.to_string(),
                    layer.kind.type_name().to_string(),
                    f,
                    size,
                    s.input.text(),
                    s.output.text(),
                    format!("{:.3}", a.profile.layers[i].bflops),
                    a.profile.layers[i].params.to_string(),
                    format!(
                        "{:.1}",
                        crate::units::kib(a.memory.layers[i].activation_bytes)
                    ),
                    a.profile
                        .receptive_fields
                        .get(i)
                        .map_or_else(String::new, |r| format!("{r}×{r}")),
                    achieved.0,
                    achieved.1,
                    a.csp
                        .stage_of(i)
                        .map_or_else(String::new, |k| k.to_string()),
                ];
                for text in cells {
                    row.col(|ui| {
                        ui.label(text);
                    });
                }
                if row.response().clicked() {
                    clicked = Some(i);
                }
            });
        });
    (clicked, sort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_by_stage_groups_the_rows_stage_by_stage() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/yolov4-tiny.cfg");
        let text = std::fs::read(path).unwrap();
        let a = crate::analyze("yolov4-tiny.cfg", &text, Default::default()).unwrap();
        let doc = Document::new(path.into(), a);
        let st = TableState {
            by: SortBy::Stage,
            descending: false,
        };
        let rows = order(&doc, &st);
        // yolov4-tiny's stages hold layers 3–8, 11–16 and 19–24; the others follow in order
        let stages: Vec<usize> = (3..=8).chain(11..=16).chain(19..=24).collect();
        assert_eq!(&rows[..18], stages.as_slice());
        assert_eq!(&rows[18..21], &[0, 1, 2]);
        assert_eq!(rows.len(), doc.analysis.network.layers.len());
    }
}
