// im2col and col2im on the GPU: the CUDA twins of minigan/kernels/im2col.py.
//
// Layouts (all C-contiguous), as in the NumPy kernels:
//   x     (N, H, W, C)              the input, channels-last (NHWC)
//   cols  (N, OH, OW, kh, kw, C)    cols[n, i, j, p, q, c] = x_pad[n, i*sh + p*dh, j*sw + q*dw, c]
// where x_pad is x with ph zero rows above and below and pw zero columns on either side. No
// padded copy is made: an index that falls into the border reads 0.
//
// One thread per output element, in a grid-stride loop: thread t of a launch of T threads
// (t = blockIdx.x * blockDim.x + threadIdx.x, T = gridDim.x * blockDim.x) does elements
// t, t + T, t + 2T, ..., so any launch shape covers all elements, each exactly once. The last
// index (c) varies fastest, so neighbouring threads touch neighbouring addresses.

// im2col: every patch entry is one read from x (or a 0 from the padding).
template <typename T>
__device__ void im2col(const T* x, T* cols, int n, int h, int w, int c, int kh, int kw,
                       int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    long long total = (long long)n * oh * ow * kh * kw * c;
    long long step = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += step) {
        // unravel e into (b, i, j, p, q, ch), last fastest
        long long rest = e;
        int ch = rest % c;  rest /= c;
        int q = rest % kw;  rest /= kw;
        int p = rest % kh;  rest /= kh;
        int j = rest % ow;  rest /= ow;
        int i = rest % oh;  rest /= oh;
        long long b = rest;
        int row = i * sh + p * dh - ph;  // the row and column in x, unpadded
        int col = j * sw + q * dw - pw;
        bool inside = 0 <= row && row < h && 0 <= col && col < w;
        cols[e] = inside ? x[((b * h + row) * w + col) * c + ch] : T(0);
    }
}

// col2im, the adjoint: x[n, y, z, c] = sum of every cols entry that im2col read from there.
// Written as a gather, one thread per element of x: it finds the (i, p) with
// i*sh + p*dh = y + ph (and (j, q) likewise) and adds those entries itself. No two threads
// write the same element, so no atomics are needed, and the sum runs over (p, q) in the order
// the NumPy col2im adds them: the result is the same to the last bit.
template <typename T>
__device__ void col2im(const T* cols, T* x, int n, int h, int w, int c, int kh, int kw,
                       int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    long long total = (long long)n * h * w * c;
    long long step = (long long)gridDim.x * blockDim.x;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += step) {
        long long rest = e;
        int ch = rest % c;  rest /= c;
        int z = rest % w;   rest /= w;
        int y = rest % h;   rest /= h;
        long long b = rest;
        T sum = T(0);
        for (int p = 0; p < kh; ++p) {
            int di = y + ph - p * dh;  // = i * sh for the output row i that reads y with offset p
            if (di < 0 || di % sh != 0 || di / sh >= oh) continue;
            int i = di / sh;
            for (int q = 0; q < kw; ++q) {
                int dj = z + pw - q * dw;
                if (dj < 0 || dj % sw != 0 || dj / sw >= ow) continue;
                int j = dj / sw;
                sum += cols[((((b * oh + i) * ow + j) * kh + p) * kw + q) * c + ch];
            }
        }
        x[e] = sum;
    }
}

// The kernels CuPy launches: one per dtype, extern "C" so that their names are not mangled.
extern "C" __global__ void im2col_f32(const float* x, float* cols,
        int n, int h, int w, int c, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    im2col(x, cols, n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
}
extern "C" __global__ void col2im_f32(const float* cols, float* x,
        int n, int h, int w, int c, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    col2im(cols, x, n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
}
extern "C" __global__ void im2col_f64(const double* x, double* cols,
        int n, int h, int w, int c, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    im2col(x, cols, n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
}
extern "C" __global__ void col2im_f64(const double* cols, double* x,
        int n, int h, int w, int c, int kh, int kw,
        int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow) {
    col2im(cols, x, n, h, w, c, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
}
