"""Exercise 12: a CUDA kernel, im2col with one GPU thread per patch entry.

Tutorial: tutorials/12_on_the_gpu.py

On a GPU, minigan's convolutions gather their patches with a kernel written in CUDA C
(``minigan/kernels/cuda/im2col.cu``). A kernel is a function that every thread of a launch runs:
a launch of ``grid`` blocks of ``block`` threads runs T = grid * block copies of it, and each
copy tells itself apart by the built-in variables

    t = blockIdx.x * blockDim.x + threadIdx.x      its number, 0 <= t < T
    T = gridDim.x * blockDim.x                     the number of threads in the launch

Here you write the body of im2col's kernel, in C. Its arrays are C-contiguous and channels-last,
as in ``minigan/kernels/im2col.py``:

    x     (N, H, W, C)             x[n, y, z, c]          sits at ((n*H + y)*W + z)*C + c
    cols  (N, OH, OW, kh, kw, C)   cols[n, i, j, p, q, c] = x_pad[n, i*sh + p*dh, j*sw + q*dw, c]

where x_pad is x with ph zero rows above and below and pw zero columns on either side. No padded
copy is made: where the index falls into that border, the kernel writes a 0 without reading x.

The grader compiles your source for the CPU with the system's C++ compiler
(:mod:`minigan.kernels.cuda.emulation`, which runs the threads of a launch one after another)
and compares cols with NumPy's im2col over strides, paddings, dilations and non-square shapes,
in float64 and float32, under the launch the CUDA backend uses and under a small grid of 3
blocks of 7 threads, far fewer threads than entries. Where no C++ compiler is found, the checks
are skipped and say so.
"""

from minigan.exercises.learner_copy import c_source


def im2col_kernel():
    """The CUDA C of im2col: each entry of cols written by one thread, in a grid-stride loop.

    The source's kernels ``im2col_f32`` and ``im2col_f64`` (given) call the template
    ``im2col`` (yours) for float and double arrays. Its arguments are x and cols (laid out as
    above), x's sizes n, h, w, c, the kernel size kh, kw, the stride sh, sw, the padding ph, pw,
    the dilation dh, dw and the output size oh, ow. Of the total = n*oh*ow*kh*kw*c entries of
    cols, thread t of T writes

    1. the entries e = t, t + T, t + 2T, ... while e < total (a *grid-stride loop*), so that a
       launch of any shape writes every entry exactly once;
    2. for each, the index (b, i, j, p, q, ch) of cols that e is the flat offset of, the last
       varying fastest: ch = e % c, then with e / c, q = (e / c) % kw, and so on;
    3. the row and column of x it reads, y = i*sh + p*dh - ph and z = j*sw + q*dw - pw (x_pad's
       index less the padding);
    4. cols[e] = x[((b*h + y)*w + z)*c + ch] when 0 <= y < h and 0 <= z < w, else T(0).

    Hint: count entries in ``long long`` (an int overflows past 2^31 entries, which a large batch
    reaches): the first entry of a thread is ``(long long)blockIdx.x * blockDim.x + threadIdx.x``
    and the stride ``(long long)gridDim.x * blockDim.x``. Take e apart with ``%`` and ``/`` from
    the last axis (ch) to the first (b). Test 0 <= y < h and 0 <= z < w before reading x: an
    entry in the padding reads nothing. ``T(0)`` is a zero of the array's type.
    """
    return c_source(r"""
// im2col: cols[b, i, j, p, q, ch] = x_pad[b, i*sh + p*dh, j*sw + q*dw, ch], one thread per entry.
template <typename T>
__device__ void im2col(const T* x, T* cols, int n, int h, int w, int c, int kh, int kw,
                       int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    // BEGIN SOLUTION
    long long total = (long long)n * oh * ow * kh * kw * c;
    long long stride = (long long)gridDim.x * blockDim.x;  // T, the threads of the launch
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total;
         e += stride) {
        long long rest = e;  // e as (b, i, j, p, q, ch), the last fastest
        int ch = rest % c;
        rest /= c;
        int q = rest % kw;
        rest /= kw;
        int p = rest % kh;
        rest /= kh;
        int j = rest % ow;
        rest /= ow;
        int i = rest % oh;
        long long b = rest / oh;
        int y = i * sh + p * dh - ph;  // the row and column of x, outside it in the padding
        int z = j * sw + q * dw - pw;
        if (0 <= y && y < h && 0 <= z && z < w) {
            cols[e] = x[((b * h + y) * w + z) * c + ch];
        } else {
            cols[e] = T(0);
        }
    }
    // END SOLUTION
}

// The kernels a launch names, one per dtype; extern "C" keeps their names as written.
extern "C" __global__ void im2col_f32(const float* x, float* cols, int n, int h, int w, int c,
        int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    im2col(x, cols, n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
}
extern "C" __global__ void im2col_f64(const double* x, double* cols, int n, int h, int w, int c,
        int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    im2col(x, cols, n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
}
""")
