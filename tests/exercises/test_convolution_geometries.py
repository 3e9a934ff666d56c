"""Exercise 5 on geometries drawn by hypothesis: col2im's adjointness and the convolution's
gradients (float64 gradcheck and gradgradcheck, and the package's gradients) for any kernel,
stride, padding and dilation that fit the input. They run on the solutions or on a learner's
copy (MINIGAN_EXERCISES), like every exercise test."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minigan.exercises.checks.ex05_convolution import (
    Geometry,
    col2im_case,
    conv2d_gradients_case,
    conv2d_package_case,
)

pytestmark = pytest.mark.exercise


@st.composite
def geometries(draw, max_side=6):
    """A convolution whose dilated kernel fits the padded input, with small sizes (gradcheck
    differentiates every element)."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    size = []
    for k, d, p in zip(kernel, dilation, padding):
        span = d * (k - 1) + 1
        size.append(draw(st.integers(max(1, span - 2 * p), max(max_side, span))))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    return Geometry((n, c, *size), draw(st.integers(1, 2)), kernel, stride, padding, dilation)


@settings(max_examples=15)
@given(geometries(), st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(load_exercise, geometry, seed):
    col2im_case(load_exercise("ex05_convolution"), geometry, seed)


@settings(max_examples=10)
@given(geometries(max_side=5), st.integers(0, 2**16))
def test_conv2d_gradients_against_finite_differences(load_exercise, geometry, seed):
    conv2d_gradients_case(load_exercise("ex05_convolution"), geometry, seed)


@settings(max_examples=15)
@given(geometries(), st.integers(0, 2**16))
def test_conv2d_gradients_equal_the_packages(load_exercise, geometry, seed):
    conv2d_package_case(load_exercise("ex05_convolution"), geometry, seed)
