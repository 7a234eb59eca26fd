//! A darknet `.data` file, its image lists and the label files beside the images, read as
//! darknet reads them: `read_data_cfg` (`key=value` lines, `#` comments), `get_paths` (one path
//! a line), `replace_image_to_label` (`/images/` → `/labels/`, `/JPEGImages/` → `/labels/`, the
//! extension → `.txt`) and `read_boxes` (`class x y w h`, relative to the image).

use std::path::{Path, PathBuf};
use thiserror::Error;

/// What a `.data` file says.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    /// The file.
    pub path: PathBuf,
    /// `classes=`.
    pub classes: usize,
    /// `train=`: the training list.
    pub train: Option<PathBuf>,
    /// `valid=`: the validation list (darknet falls back to `train`, then `data/train.txt`).
    pub valid: PathBuf,
    /// `names=`: the class names.
    pub names: Option<PathBuf>,
    /// Lines darknet skips with "Config file error" (not `key=value`).
    pub warnings: Vec<String>,
    /// Images given directly (a folder of labelled images), which stand for both lists.
    pub given: Option<Vec<PathBuf>>,
}

/// One labelled object, relative to its image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    /// The class.
    pub class_id: usize,
    /// Centre x.
    pub x: f32,
    /// Centre y.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// Why evaluation data cannot be read.
#[derive(Debug, Error)]
pub enum DataError {
    /// A file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A `.data` line darknet cannot use.
    #[error("{path}:{line}: {message}")]
    Data {
        /// The `.data` file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A label darknet would crash on (a class past `classes=`).
    #[error("{path}:{line}: {message}")]
    Label {
        /// The label file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

fn read(path: &Path) -> Result<String, DataError> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| DataError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })
}

impl DataFile {
    /// Reads a `.data` file; relative paths in it stay relative to the working directory, as
    /// darknet opens them.
    pub fn read(path: &Path) -> Result<Self, DataError> {
        let text = read(path)?;
        let shown = path.display().to_string();
        let mut keys: Vec<(usize, String, String)> = Vec::new();
        let mut warnings = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                warnings.push(format!(
                    "{shown}:{}: `{line}` is not key=value; darknet skips it (\"Config file error\")",
                    i + 1
                ));
                continue;
            };
            keys.push((i + 1, k.to_string(), v.to_string()));
        }
        let find = |key: &str| keys.iter().find(|(_, k, _)| k == key);
        let classes = match find("classes") {
            Some((line, _, v)) => {
                v.parse::<usize>()
                    .ok()
                    .filter(|&c| c > 0)
                    .ok_or_else(|| DataError::Data {
                        path: shown.clone(),
                        line: *line,
                        message: format!("classes={v} is not a positive whole number"),
                    })?
            }
            // darknet's default
            None => 20,
        };
        let train = find("train").map(|(_, _, v)| PathBuf::from(v));
        let valid = find("valid")
            .map(|(_, _, v)| PathBuf::from(v))
            .or_else(|| train.clone())
            .unwrap_or_else(|| PathBuf::from("data/train.txt"));
        Ok(Self {
            path: path.to_path_buf(),
            classes,
            train,
            valid,
            names: find("names").map(|(_, _, v)| PathBuf::from(v)),
            warnings,
            given: None,
        })
    }

    /// A folder of labelled images as a dataset: its JPEG, PNG and BMP files (those of its
    /// `images/` folder when it has none itself), each image's labels where darknet looks
    /// (`images/` → `labels/`) or beside it; `classes` and `names` come from the network.
    /// Other files (the labels, `classes.txt`) are not images and are passed over in silence.
    pub fn folder(dir: &Path, classes: usize, names: Option<PathBuf>) -> Result<Self, DataError> {
        let mut images = images_in(dir)?;
        if images.is_empty() && dir.join("images").is_dir() {
            images = images_in(&dir.join("images"))?;
        }
        if images.is_empty() {
            return Err(DataError::Read {
                path: dir.display().to_string(),
                message: "no JPEG, PNG or BMP image in it (nor in its images/ folder)".into(),
            });
        }
        Ok(Self {
            path: dir.to_path_buf(),
            classes,
            train: None,
            valid: dir.to_path_buf(),
            names,
            warnings: Vec::new(),
            given: Some(images),
        })
    }

    /// The validation images: the `valid` list's paths, or the images given.
    pub fn valid_images(&self) -> Result<Vec<PathBuf>, DataError> {
        match &self.given {
            Some(images) => Ok(images.clone()),
            None => read_list(&self.valid),
        }
    }

    /// The training images (darknet's `calc_anchors` reads `train`, else `valid`), or the
    /// images given.
    pub fn train_images(&self) -> Result<Vec<PathBuf>, DataError> {
        match (&self.given, &self.train) {
            (Some(images), _) => Ok(images.clone()),
            (None, Some(train)) => read_list(train),
            (None, None) => read_list(&self.valid),
        }
    }

    /// The class names (`names=`), else the class numbers.
    pub fn class_names(&self) -> Result<Vec<String>, DataError> {
        let mut names = match &self.names {
            Some(p) => crate::detect::parse_names(&read(p)?),
            None => Vec::new(),
        };
        names.extend((names.len()..self.classes).map(|i| i.to_string()));
        Ok(names)
    }
}

/// The JPEG, PNG and BMP files of a folder, sorted by name.
fn images_in(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::Read {
        path: dir.display().to_string(),
        message: e.to_string(),
    })?;
    let mut images: Vec<PathBuf> = (entries.flatten())
        .map(|e| e.path())
        .filter(|p| p.is_file() && crate::detect::inputs::is_image(p))
        .collect();
    images.sort();
    Ok(images)
}

/// The paths of an image list (`valid=`, `train=`): one a line, blank lines skipped.
pub fn read_list(path: &Path) -> Result<Vec<PathBuf>, DataError> {
    Ok(read(path)?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect())
}

/// The label file darknet's `replace_image_to_label` makes of an image path.
pub fn label_path(image: &Path) -> PathBuf {
    let mut s = image.to_string_lossy().into_owned();
    for (from, to) in [
        ("/images/train2017/", "/labels/train2017/"),
        ("/images/val2017/", "/labels/val2017/"),
        ("\\images\\train2017\\", "\\labels\\train2017\\"),
        ("\\images\\val2017\\", "\\labels\\val2017\\"),
        ("/images/", "/labels/"),
        ("\\images\\", "\\labels\\"),
        ("/JPEGImages/", "/labels/"),
        ("\\JPEGImages\\", "\\labels\\"),
    ] {
        s = s.replacen(from, to, 1);
    }
    let path = PathBuf::from(s);
    const IMAGE: [&str; 8] = ["jpg", "jpeg", "png", "bmp", "tif", "tiff", "ppm", "gif"];
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if IMAGE.contains(&e.to_ascii_lowercase().as_str()) => path.with_extension("txt"),
        _ => path,
    }
}

/// Where an image's labels are: darknet's path when it exists, else the `.txt` beside the
/// image; `None` when neither exists.
pub fn find_labels(image: &Path) -> Option<PathBuf> {
    let darknet = label_path(image);
    if darknet.is_file() {
        return Some(darknet);
    }
    let beside = image.with_extension("txt");
    beside.is_file().then_some(beside)
}

/// Reads a label file as darknet's `read_boxes` does (`%d %f %f %f %f` until the first that
/// does not parse); a class at or past `classes` is refused (darknet writes past its counts).
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<Label>, DataError> {
    let text = read(path)?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut it = line.split_whitespace();
        let Some(first) = it.next() else { continue };
        let Ok(class) = first.parse::<i64>() else {
            break;
        };
        let v: Vec<f32> = it.take(4).map_while(|t| t.parse().ok()).collect();
        let [x, y, w, h] = v[..] else { break };
        let class_id = usize::try_from(class)
            .ok()
            .filter(|&c| c < classes)
            .ok_or_else(|| DataError::Label {
                path: path.display().to_string(),
                line: i + 1,
                message: format!(
                    "class {class} is not below classes={classes}: darknet counts it past its table"
                ),
            })?;
        out.push(Label {
            class_id,
            x,
            y,
            w,
            h,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn darknets_label_paths() {
        let l = |p: &str| label_path(Path::new(p)).display().to_string();
        assert_eq!(l("data/obj/images/a.jpg"), "data/obj/labels/a.txt");
        assert_eq!(l("VOC/JPEGImages/b.JPG"), "VOC/labels/b.txt");
        assert_eq!(l("coco/images/val2017/c.png"), "coco/labels/val2017/c.txt");
        assert_eq!(l("flat/d.jpeg"), "flat/d.txt");
    }

    #[test]
    fn a_folder_with_images_and_labels_folders_is_a_dataset() {
        let d = std::env::temp_dir().join(format!("csplens-folder-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for sub in ["images", "labels"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("images/a.jpg"), b"not decoded here").unwrap();
        std::fs::write(d.join("labels/a.txt"), "1 0.5 0.5 0.2 0.2\n").unwrap();
        let data = DataFile::folder(&d, 3, None).unwrap();
        let images = vec![d.join("images/a.jpg")];
        assert_eq!(data.valid_images().unwrap(), images);
        assert_eq!(data.train_images().unwrap(), images);
        assert_eq!(find_labels(&images[0]), Some(d.join("labels/a.txt")));
        assert_eq!(data.class_names().unwrap(), ["0", "1", "2"]);
        // an empty folder is refused with its path
        let empty = d.join("labels");
        let e = DataFile::folder(&empty, 3, None).unwrap_err().to_string();
        assert!(e.contains("no JPEG, PNG or BMP image"), "{e}");
    }
}
