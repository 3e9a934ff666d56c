// emulation.h: just enough of CUDA for a kernel source to compile with a plain C++ compiler
// and run on the CPU (see emulation.py, which includes this header before the .cu source).
//
// On a GPU a launch kernel<<<grid, block>>>(args) runs the kernel once per thread, all threads
// at once: gridDim.x * gridDim.y * gridDim.z blocks of blockDim.x * blockDim.y * blockDim.z
// threads, each reading its own coordinates from blockIdx and threadIdx. Here the launch is six
// nested loops that set those coordinates and call the kernel, one thread after another.
//
// That gives the GPU's answer exactly when no thread depends on another: every output element
// written by one thread only, no shared memory, no __syncthreads, no atomics, no timing. The
// kernels of minigan are written that way (grid-stride loops over independent elements).

#include <cmath>

// Function qualifiers: on the CPU every function is an ordinary one.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

// The CUDA math functions the kernels use, with their float and double overloads.
using std::exp;
using std::fabs;
using std::fmax;
using std::log1p;

// A launch shape: up to three extents, each 1 unless given.
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
};
struct uint3 {
    unsigned x, y, z;
};

// The built-in variables every CUDA thread reads. thread_local: ctypes releases Python's GIL
// during a call, so two Python threads may run emulated launches at the same time.
static thread_local dim3 gridDim, blockDim;
static thread_local uint3 blockIdx, threadIdx;

// Run one launch: call `thread()` (the kernel with its arguments bound) once for every thread
// of every block, in the order (block z, y, x, thread z, y, x).
template <typename Thread>
void emulate_launch(const unsigned* launch, Thread thread) {
    gridDim = dim3(launch[0], launch[1], launch[2]);
    blockDim = dim3(launch[3], launch[4], launch[5]);
    for (blockIdx.z = 0; blockIdx.z < gridDim.z; ++blockIdx.z)
        for (blockIdx.y = 0; blockIdx.y < gridDim.y; ++blockIdx.y)
            for (blockIdx.x = 0; blockIdx.x < gridDim.x; ++blockIdx.x)
                for (threadIdx.z = 0; threadIdx.z < blockDim.z; ++threadIdx.z)
                    for (threadIdx.y = 0; threadIdx.y < blockDim.y; ++threadIdx.y)
                        for (threadIdx.x = 0; threadIdx.x < blockDim.x; ++threadIdx.x)
                            thread();
}
