//! The line darknet prints for each layer while it parses a cfg (without the index).

use crate::network::{Layer, LayerKind, WeightsType};
use crate::profile::LayerCost;
use crate::shape::{LayerShape, Shape};

fn dims(s: Shape) -> String {
    format!("{:4} x{:4} x{:4}", s.w, s.h, s.c)
}

fn bf(c: &LayerCost) -> String {
    format!("{:5.3} BF", c.bflops as f64)
}

/// Darknet's printed line for one layer (src/*_layer.c `fprintf` formats). A shortcut that
/// adds tensors of different shapes gets darknet's second line ` (A) + (B)`; `others` are the
/// output shapes of the layers it reads besides the previous one.
pub fn darknet_line(layer: &Layer, s: &LayerShape, c: &LayerCost, others: &[Shape]) -> String {
    let (i, o) = (s.input, s.output);
    match &layer.kind {
        LayerKind::Convolutional(k) => {
            let tag = if k.xnor && k.bin_output {
                "convXB"
            } else if k.xnor {
                "convX "
            } else if k.share_index.is_some() {
                "convS "
            } else if k.assisted_excitation {
                "convAE"
            } else {
                "conv  "
            };
            let filters = if k.groups > 1 {
                format!("{:5}/{:4} ", k.filters, k.groups)
            } else {
                format!("{:5}      ", k.filters)
            };
            let window = if k.stride_x != k.stride_y {
                format!(
                    "{:2}x{:2}/{:2}x{:2} ",
                    k.size, k.size, k.stride_x, k.stride_y
                )
            } else if k.dilation > 1 {
                format!(
                    "{:2} x{:2}/{:2}({:1})",
                    k.size, k.size, k.stride_x, k.dilation
                )
            } else {
                format!("{:2} x{:2}/{:2}   ", k.size, k.size, k.stride_x)
            };
            format!(
                "{tag}{filters}{window}{} -> {} {}",
                dims(i),
                dims(s.pre_blur.unwrap_or(o)),
                bf(c)
            )
        }
        LayerKind::Maxpool(p) | LayerKind::LocalAvgpool(p) => {
            let name = if matches!(layer.kind, LayerKind::Maxpool(_)) {
                "max"
            } else {
                "avg"
            };
            if p.maxpool_depth {
                return format!(
                    "max-depth         {:2}x{:2}/{:2}   {} -> {} {}",
                    p.size,
                    p.size,
                    p.stride_x,
                    dims(i),
                    dims(o),
                    bf(c)
                );
            }
            let window = if p.stride_x == p.stride_y {
                format!("{:2}x{:2}/{:2}   ", p.size, p.size, p.stride_x)
            } else {
                format!(
                    "{:2}x{:2}/{:2}x{:2} ",
                    p.size, p.size, p.stride_x, p.stride_y
                )
            };
            format!(
                "{name}{:15}{window}{} -> {} {}",
                "",
                dims(i),
                dims(s.pre_blur.unwrap_or(o)),
                bf(c)
            )
        }
        LayerKind::Route(r) => {
            let list: String = r.layers.iter().map(|l| format!(" {l}")).collect();
            let gap = match r.layers.len() {
                n if n > 3 => " \t    ",
                n if n > 1 => " \t            ",
                _ => " \t\t            ",
            };
            let groups = if r.groups > 1 {
                format!("{}/{}", r.group_id, r.groups)
            } else {
                "   ".into()
            };
            format!("route {list}{gap}           {groups} -> {}", dims(o))
        }
        LayerKind::Shortcut(sc) => {
            let list: String = sc.from.iter().map(|l| format!("{l}, ")).collect();
            let wt = match sc.weights_type {
                WeightsType::None => 0,
                WeightsType::PerFeature => 1,
                WeightsType::PerChannel => 2,
            };
            let wn = match sc.weights_normalization.as_str() {
                "relu" | "avg_relu" => 1,
                "softmax" => 2,
                _ => 0,
            };
            let mut line = format!(
                "Shortcut Layer: {list} wt = {wt}, wn = {wn}, outputs:{} {}",
                dims(o),
                bf(c)
            );
            for other in others.iter().filter(|s| **s != o) {
                line += &format!("\n ({}) + ({}) ", dims(o), dims(*other));
            }
            line
        }
        LayerKind::Avgpool => format!("avg{:26}{:4} x{:4} x{:4} ->   {:4}", "", i.w, i.h, i.c, o.c),
        LayerKind::Softmax { .. } => format!("softmax{:40}{:4}", "", s.inputs),
        LayerKind::Cost { .. } => format!("cost{:43}{:4}", "", s.inputs),
        LayerKind::Upsample(u) => {
            let name = if u.stride < 0 {
                "downsample"
            } else {
                "upsample  "
            };
            format!(
                "{name}{:14}{:2}x  {} -> {}",
                "",
                u.stride.unsigned_abs(),
                dims(i),
                dims(o)
            )
        }
        LayerKind::Yolo(y) | LayerKind::GaussianYolo(y) => {
            let mask: Vec<String> = y.mask.iter().map(|m| m.to_string()).collect();
            format!(
                "{:<10}{:24}{} -> {}  classes {}, mask {}",
                layer.kind.type_name(),
                "",
                dims(i),
                dims(o),
                y.classes,
                mask.join(",")
            )
        }
        LayerKind::Detection(_) | LayerKind::Rnn(_) | LayerKind::Lstm(_) | LayerKind::Gru(_) => {
            format!("{:<15}{:32}{:4}", layer.kind.type_name(), "", s.outputs)
        }
        _ => {
            let out = if o.is_image() {
                dims(o)
            } else {
                format!("{:4}", s.outputs)
            };
            let flops = if c.bflops > 0.0 {
                format!(" {}", bf(c))
            } else {
                String::new()
            };
            format!(
                "{:<15}{:14}{} -> {}{flops}",
                layer.kind.type_name(),
                "",
                dims(i),
                out
            )
        }
    }
}
