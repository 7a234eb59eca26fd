//! Image bytes → decode (with the header size check) → darknet's resize and letterbox.
#![no_main]

use csplens::detect::image;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(im) = image::decode_limited(data, 1 << 22) {
        let _ = image::resize(&im, 32, 24);
        let _ = image::letterbox(&im, 32, 32);
    }
});
