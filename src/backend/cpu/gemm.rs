//! The one place that calls the `gemm` crate: a checked, safe row-major matrix product.

use super::BackendError;

/// `c (m×n) = a (m×k) · b (k×n)`, all row-major with the given row strides, `c` overwritten.
#[allow(clippy::too_many_arguments)]
pub fn matmul(
    m: usize,
    n: usize,
    k: usize,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    threads: usize,
) -> Result<(), BackendError> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    let fits = |len: usize, rows: usize, cols: usize, ld: usize| {
        ld >= cols && (rows == 0 || (rows - 1) * ld + cols <= len)
    };
    if !(fits(a.len(), m, k, lda) && fits(b.len(), k, n, ldb) && fits(c.len(), m, n, ldc)) {
        return Err(BackendError::Internal(format!(
            "matmul {m}×{k}·{k}×{n}: buffer too small"
        )));
    }
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the checks above guarantee every index the product touches, (i·ld + j) for
    // i < rows and j < cols of each operand, lies inside its slice; `c` is exclusively borrowed.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            ldc as isize,
            false,
            a.as_ptr(),
            1,
            lda as isize,
            b.as_ptr(),
            1,
            ldb as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            par,
        );
    }
    Ok(())
}
