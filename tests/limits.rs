//! Resource caps: the defaults let the largest corpus networks through at 1280², each cap
//! stops a network that exceeds it with a sentence naming the cap and the value, and the CLI
//! flags raise them.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use csplens::limits::Limits;
use csplens::shape::InputOverride;
use csplens::{StageError, analyze_with};

fn corpus(rel: &str) -> Vec<u8> {
    std::fs::read(common::corpus_dir().join(rel)).unwrap()
}

#[test]
fn defaults_admit_the_largest_networks_at_1280() {
    let over = InputOverride {
        width: Some(1280),
        height: Some(1280),
    };
    for rel in [
        "darknet/yolov4-p6.cfg",
        "darknet/cspx-p7-mish.cfg",
        "darknet/yolov4x-mish.cfg",
    ] {
        let a = analyze_with(rel, &corpus(rel), over, &Limits::default())
            .unwrap_or_else(|f| panic!("{}", f.render()));
        assert!(
            a.memory.naive_activation_bytes > 1 << 30,
            "{rel} is a real stress case"
        );
    }
}

/// The library's sentence (naming no option) with the option the command line adds.
fn as_cli_prints(f: &csplens::Failure) -> String {
    let library = f.render();
    assert!(!library.contains("--"), "{library}");
    let cap = f.error.cap().expect("a cap");
    format!("{library} ({} raises it)", csplens::args::cap_option(cap))
}

fn limit_error(text: &str, caps: &Limits) -> String {
    match analyze_with("t.cfg", text.as_bytes(), Default::default(), caps) {
        Err(f) if matches!(f.error, StageError::Limit(_)) => as_cli_prints(&f),
        Err(f) => panic!("another error: {}", f.render()),
        Ok(_) => panic!("accepted"),
    }
}

#[test]
fn each_cap_names_itself_and_the_value() {
    let many: String =
        "[net]\nwidth=8\nheight=8\nchannels=3\n".to_string() + &"[dropout]\n".repeat(10_001);
    assert_eq!(
        limit_error(&many, &Limits::default()),
        "t.cfg: the layer count is 10001, above the limit of 10000 (--max-layers raises it)"
    );
    let raised = Limits {
        max_layers: 20_000,
        ..Limits::default()
    };
    assert!(analyze_with("t.cfg", many.as_bytes(), Default::default(), &raised).is_ok());

    let huge = "[net]\nwidth=8192\nheight=8192\nchannels=3\n\n[convolutional]\nfilters=256\nsize=3\npad=1\n";
    assert_eq!(
        limit_error(huge, &Limits::default()),
        "t.cfg: the activation memory (all layer outputs) is 64.0 GiB, above the limit of 32.0 GiB (--max-activation-gib raises it)"
    );
    let wide = "[net]\nwidth=32768\nheight=32768\nchannels=3\n\n[maxpool]\nsize=2\nstride=2\n";
    assert!(
        limit_error(wide, &Limits::default())
            .contains("the input (width × height × channels) is 3221225472")
    );

    let small = Limits {
        max_weights_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = match analyze_with(
        "v4.cfg",
        &corpus("darknet/yolov4-tiny.cfg"),
        Default::default(),
        &small,
    ) {
        Err(f) => as_cli_prints(&f),
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(
        err,
        "v4.cfg: the .weights size is 23.1 MiB, above the limit of 1.0 MiB (--max-weights-gib raises it)"
    );
}

#[test]
fn cli_flags_raise_the_caps() {
    let dir = std::env::temp_dir().join(format!("csplens-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("many.cfg");
    std::fs::write(
        &path,
        "[net]\nwidth=8\nheight=8\nchannels=3\n".to_string() + &"[dropout]\n".repeat(10_001),
    )
    .unwrap();
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_csplens"))
            .args(["profile", path.to_str().unwrap(), "--format", "csv"])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--max-layers"));
    assert!(run(&["--max-layers", "20000"]).status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn image_pixel_cap_is_a_flag() {
    let bus = common::models::image("bus.jpg");
    let m = common::models::dir();
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_csplens"))
            .args(["detect", "--cfg"])
            .arg(m.join("yolov4-tiny/yolov4-tiny.cfg"))
            .arg("--weights")
            .arg(m.join("yolov4-tiny/yolov4-tiny.weights"))
            .arg("--image")
            .arg(&bus)
            .args(["--backend", "cpu", "--format", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = run(&["--max-image-pixels", "100000"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("810×1080"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(run(&[]).status.success());
}
