//! The one rule for what a detection head reads: per anchor and cell, x, y, w, h and
//! objectness (Gaussian_yolo adds the four coordinates' uncertainties; `[region]` has `coords`
//! coordinates) then one value per class, times the anchors the head predicts with (a
//! `[yolo]`'s mask, a `[region]`'s num). The convolution before the head must have that many
//! filters. The heads' shape rules, the decoders and the doctor's `yolo-filters` and `fix`
//! all ask it.

use super::KindTag;

/// The channels a head reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadFilters {
    /// `classes=`.
    pub classes: usize,
    /// What each anchor carries besides the classes.
    pub fixed: Fixed,
    /// The anchors it predicts with.
    pub anchors: usize,
}

/// What each anchor of a head carries besides the classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixed {
    /// `[yolo]`: x, y, w, h, objectness.
    Yolo,
    /// `[Gaussian_yolo]`: x, y, w, h with their uncertainties, objectness.
    Gaussian,
    /// `[region]`: `coords` coordinates and objectness.
    Region {
        /// `coords=`.
        coords: usize,
    },
}

impl Fixed {
    /// Values before the classes.
    pub fn values(self) -> usize {
        match self {
            Self::Yolo => 5,
            Self::Gaussian => 9,
            Self::Region { coords } => coords.saturating_add(1),
        }
    }
}

impl HeadFilters {
    /// The rule of head kind `tag` with `classes` classes and `anchors` anchors (a yolo head's
    /// mask length, a region's num; `coords` is read by `[region]` only); `None` for a kind
    /// that is not such a head.
    pub fn of(tag: KindTag, classes: usize, anchors: usize, coords: usize) -> Option<Self> {
        let fixed = if tag == KindTag::Yolo {
            Fixed::Yolo
        } else if tag == KindTag::GaussianYolo {
            Fixed::Gaussian
        } else if tag == KindTag::Region {
            Fixed::Region { coords }
        } else {
            return None;
        };
        Some(Self {
            classes,
            fixed,
            anchors,
        })
    }

    /// Values per anchor and cell.
    pub fn per_anchor(&self) -> Option<usize> {
        self.classes.checked_add(self.fixed.values())
    }

    /// The filters of the convolution before the head (`None` on overflow).
    pub fn filters(&self) -> Option<usize> {
        self.per_anchor()?.checked_mul(self.anchors)
    }

    /// How the number is made, as messages write it: `(classes 80 + 5) × 3 masks`,
    /// `(classes 20 + coords 4 + 1) × num 5`.
    pub fn formula(&self) -> String {
        let (c, n) = (self.classes, self.anchors);
        match self.fixed {
            Fixed::Region { coords } => format!("(classes {c} + coords {coords} + 1) × num {n}"),
            Fixed::Yolo | Fixed::Gaussian => {
                format!("(classes {c} + {}) × {n} masks", self.fixed.values())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn darknets_filters_rule() {
        // yolov4-tiny: 80 classes, 3 masks → 255; yolov2-voc: 20 classes, coords 4, num 5 → 125
        let yolo = HeadFilters::of(KindTag::Yolo, 80, 3, 4).unwrap();
        assert_eq!(yolo.filters(), Some(255));
        assert_eq!(yolo.formula(), "(classes 80 + 5) × 3 masks");
        let gauss = HeadFilters::of(KindTag::GaussianYolo, 80, 3, 4).unwrap();
        assert_eq!(gauss.filters(), Some(267));
        let region = HeadFilters::of(KindTag::Region, 20, 5, 4).unwrap();
        assert_eq!(region.filters(), Some(125));
        assert_eq!(region.formula(), "(classes 20 + coords 4 + 1) × num 5");
        assert!(HeadFilters::of(KindTag::Convolutional, 80, 3, 4).is_none());
    }
}
