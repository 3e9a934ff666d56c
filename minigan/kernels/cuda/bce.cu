// Binary cross-entropy from logits on the GPU: the CUDA twin of minigan/kernels/bce.py.
//
// With a logit x, a label y and a weight w+ on the positive class (pos_weight, else 1):
//
//   loss     = w+ y softplus(-x) + (1 - y) softplus(x)
//   dloss/dx = (1 - y) sigmoid(x) - w+ y sigmoid(-x)
//
// Each is one fused kernel: one pass reads x, y (and w+, and the incoming gradient) and writes
// the result, where the array formula makes a temporary for every step. The softplus and the
// sigmoid are the stable forms of minigan/kernels/stable.py, built from e = exp(-|x|) in (0, 1],
// so nothing overflows and the loss and its gradient are finite for every finite logit.
//
// The Python side hands every operand broadcast to the result's shape and C-contiguous, except
// pos_weight, which is either such an array (pos_weight_step = 1) or a single value read for
// every element (pos_weight_step = 0; 1 when no pos_weight is given). n is the element count;
// threads walk the elements in a grid-stride loop (see im2col.cu).

template <typename T>
__device__ T softplus(T x) {  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
    return fmax(x, T(0)) + log1p(exp(-fabs(x)));
}

template <typename T>
__device__ T sigmoid(T x) {  // 1 / (1 + e^-x) = 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0
    T e = exp(-fabs(x));
    return (x >= T(0) ? T(1) : e) / (T(1) + e);
}

template <typename T>
__device__ void bce_with_logits(const T* x, const T* y, const T* pos_weight, int pos_weight_step,
                                T* loss, long long n) {
    long long step = (long long)gridDim.x * blockDim.x;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += step) {
        T positive = pos_weight[k * pos_weight_step] * y[k];  // w+ y
        loss[k] = positive * softplus(-x[k]) + (T(1) - y[k]) * softplus(x[k]);
    }
}

template <typename T>
__device__ void bce_with_logits_backward(const T* grad, const T* x, const T* y,
                                         const T* pos_weight, int pos_weight_step, T* grad_x,
                                         long long n) {
    long long step = (long long)gridDim.x * blockDim.x;
    for (long long k = (long long)blockIdx.x * blockDim.x + threadIdx.x; k < n; k += step) {
        T positive = pos_weight[k * pos_weight_step] * y[k];
        grad_x[k] = grad[k] * ((T(1) - y[k]) * sigmoid(x[k]) - positive * sigmoid(-x[k]));
    }
}

// The kernels CuPy launches: one per dtype, extern "C" so that their names are not mangled.
extern "C" __global__ void bce_with_logits_f32(const float* x, const float* y,
        const float* pos_weight, int pos_weight_step, float* loss, long long n) {
    bce_with_logits(x, y, pos_weight, pos_weight_step, loss, n);
}
extern "C" __global__ void bce_with_logits_f64(const double* x, const double* y,
        const double* pos_weight, int pos_weight_step, double* loss, long long n) {
    bce_with_logits(x, y, pos_weight, pos_weight_step, loss, n);
}
extern "C" __global__ void bce_with_logits_backward_f32(const float* grad, const float* x,
        const float* y, const float* pos_weight, int pos_weight_step, float* grad_x, long long n) {
    bce_with_logits_backward(grad, x, y, pos_weight, pos_weight_step, grad_x, n);
}
extern "C" __global__ void bce_with_logits_backward_f64(const double* grad, const double* x,
        const double* y, const double* pos_weight, int pos_weight_step, double* grad_x,
        long long n) {
    bce_with_logits_backward(grad, x, y, pos_weight, pos_weight_step, grad_x, n);
}
