//! `[local]` on the GPU: one dispatch of elementwise.wgsl's `local` kernel, its biases and
//! every position's weights uploaded as one buffer in darknet's order.

use super::super::kernels::{EwParams, Kernel, ew_binding as bind};
use super::elementwise::output_dims;
use super::recorder::Recorder;
use super::view::{Command, View, linear_groups};
use crate::backend::BackendError;
use crate::backend::Model;
use crate::kinds::Spatial;
use crate::weights::Weights;

impl Recorder<'_> {
    pub(super) fn local(
        &mut self,
        a: Model<'_>,
        w: &Weights,
        i: usize,
        l: &Spatial,
        prev: &View,
    ) -> Result<Vec<Command>, BackendError> {
        let s = a.shapes.layers[i];
        if let Some(reason) = l.im2col_mismatch(s.input, s.output) {
            return Err(BackendError::Invalid { layer: i, reason });
        }
        let lw = &w.layers[i];
        let missing = |what| BackendError::MissingWeights { layer: i, what };
        let mut values = w.slice(&lw.biases).ok_or(missing("biases"))?.to_vec();
        values.extend_from_slice(w.slice(&lw.weights).ok_or(missing("weights"))?);
        let second = self.upload_values("local weights", &values, wgpu::BufferUsages::STORAGE);
        let out = self.outputs[i].clone();
        let (act, post) = self.epilogue(l.activation, &out, &s)?;
        let params = EwParams {
            stride: l.stride as u32,
            in_c: s.input.c as u32,
            in_h: s.input.h as u32,
            in_w: s.input.w as u32,
            ksize: l.size as u32,
            pad: l.pad as u32,
            ..output_dims(&s)
        };
        let mut cmds = vec![self.dispatch(
            Kernel::Local,
            act,
            bytemuck::bytes_of(&params),
            &[
                (bind::INPUT, prev),
                (bind::OUTPUT, &out),
                (bind::SECOND, &second),
            ],
            linear_groups(s.outputs),
        )?];
        cmds.extend(post);
        Ok(cmds)
    }
}
