use csplens::backend::cpu::ConvOp;
use csplens::network::{Activation, Conv};
use csplens::tensor::Tensor;
use csplens::weights::FusedConv;
use std::time::Instant;
fn main() {
    for (cin, f, hw, stride) in [
        (3usize, 16usize, 416usize, 1usize),
        (3, 32, 416, 2),
        (32, 64, 208, 2),
        (16, 32, 208, 1),
    ] {
        let c = Conv {
            filters: f,
            size: 3,
            stride_x: stride,
            stride_y: stride,
            dilation: 1,
            padding: 1,
            groups: 1,
            batch_normalize: false,
            activation: Activation::Leaky,
            xnor: false,
            binary: false,
            bin_output: false,
            share_index: None,
            antialiasing: 0,
            assisted_excitation: false,
        };
        let fused = FusedConv {
            weights: vec![0.01; f * cin * 9],
            biases: vec![0.1; f],
        };
        let op = ConvOp::new(&c, cin, fused).unwrap();
        let x = Tensor {
            c: cin,
            h: hw,
            w: hw,
            data: vec![0.5; cin * hw * hw],
        };
        for threads in [2usize] {
            let mut best = f64::MAX;
            for _ in 0..10 {
                let t = Instant::now();
                let o = op.forward(&x, threads).unwrap();
                std::hint::black_box(o);
                best = best.min(t.elapsed().as_secs_f64());
            }
            println!(
                "cin {cin} f {f} hw {hw} s{stride} wino {}: {:.2} ms",
                op.winograd.is_some(),
                best * 1e3
            );
        }
    }
}
