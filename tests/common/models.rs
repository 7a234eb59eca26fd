//! The real pretrained models fetched by `scripts/fetch-models.sh`.

use std::path::PathBuf;

/// `$CSPLENS_MODELS`, else `.cache/models` in the repository; panics with the fix when absent.
pub fn dir() -> PathBuf {
    let dir = std::env::var_os("CSPLENS_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".cache/models"));
    assert!(
        dir.join("yolov4-tiny/yolov4-tiny.weights").is_file()
            && dir.join("yolov3-tiny/yolov3-tiny.weights").is_file(),
        "the models are not in {}: run `bash scripts/setup.sh` (or scripts/fetch-models.sh) first",
        dir.display()
    );
    dir
}

/// A model file: `model("yolov4-tiny", "weights")`.
pub fn file(model: &str, ext: &str) -> PathBuf {
    dir().join(model).join(format!("{model}.{ext}"))
}

/// The analysis of a fetched model's cfg.
pub fn analysis(model: &str) -> csplens::Analysis {
    let path = file(model, "cfg");
    let bytes = std::fs::read(&path).expect("read cfg");
    csplens::analyze(&path.display().to_string(), &bytes, Default::default()).expect("analyze")
}

/// The fetched sample image `name` (bus.jpg, zidane.jpg).
pub fn image(name: &str) -> PathBuf {
    dir().join("images").join(name)
}

/// A fetched model with its weights, and bus.jpg decoded and made its input.
pub struct OnBus {
    pub a: csplens::Analysis,
    pub w: csplens::weights::Weights,
    pub image: csplens::detect::image::Image,
    pub input: csplens::tensor::Tensor,
}

/// `model` (its cfg and weights) ready to run on bus.jpg.
pub fn on_bus(model: &str) -> OnBus {
    let a = analysis(model);
    let w =
        csplens::weights::read(&file(model, "weights"), &a.network, &a.shapes).expect("weights");
    let bytes = std::fs::read(image("bus.jpg")).expect("bus.jpg");
    let image = csplens::detect::image::decode(&bytes).expect("decode");
    let input = csplens::detect::network_input(&a, &image);
    OnBus { a, w, image, input }
}
