"""Hidden tests for figure_to_array(fig) -> uint8 array (3, H, W), RGB, channels first.

The figures are built inside the worker with pyplot (Agg backend), with sizes, colours and a rectangle
chosen by the grader, so the expected pixels are known exactly without rendering anything here.
"""

import numpy as np
import pytest

# sizes in inches (quarter inches) and dots per inch that give whole pixel counts
_INCHES = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5)
_DPI = (24, 32, 40, 48)


def _random_size(rng):
    """A non-square figure size (width, height) in inches and a dpi; pixel counts are whole numbers."""
    width, height = rng.choice(_INCHES, size=2, replace=False)
    return float(width), float(height), int(rng.choice(_DPI))


def _random_colour(rng, avoid=None):
    """An RGB colour with three clearly different channels (so a swapped channel order shows)."""
    while True:
        rgb = rng.integers(0, 256, size=3)
        spread = min(
            abs(int(rgb[0]) - int(rgb[1])),
            abs(int(rgb[1]) - int(rgb[2])),
            abs(int(rgb[0]) - int(rgb[2])),
        )
        if spread >= 40 and (avoid is None or np.abs(rgb - avoid).max() >= 60):
            return rgb


def _figure(student, width, height, dpi, face):
    plt = student.import_module("matplotlib.pyplot")
    return plt.figure(
        figsize=(width, height), dpi=dpi, facecolor=tuple(float(c) / 255 for c in face)
    )


def _pixels(student, fig, what="figure_to_array"):
    """The student's result as a uint8 array of 3 axes, with teaching messages otherwise."""
    image = student.figure_to_array(fig)
    if hasattr(image, "detach"):
        raise AssertionError(
            f"{what} should return a numpy array (np.asarray(...)), not a torch tensor"
        )
    assert isinstance(image, np.ndarray), (
        f"{what} should return a numpy array, got {type(image).__name__}"
    )
    assert image.dtype == np.uint8, (
        f"{what} should return uint8 pixels in 0..255 (the dtype of buffer_rgba()), got dtype {image.dtype}"
    )
    assert image.ndim == 3, (
        f"{what} should return an array with 3 axes (channels, height, width), got {image.ndim}"
    )
    return image


@pytest.mark.points(1)
def test_shape_and_dtype(student, rng):
    """uint8 array of shape (3, H, W) for figures of other sizes and resolutions"""
    for _ in range(2):
        width, height, dpi = _random_size(rng)
        fig = _figure(student, width, height, dpi, _random_colour(rng))
        image = _pixels(student, fig)
        rows, cols = int(round(height * dpi)), int(round(width * dpi))
        if image.shape == (rows, cols, 3) or image.shape == (rows, cols, 4):
            raise AssertionError(
                "figure_to_array returned the pixels channels last (H, W, channels); "
                "move the channel axis to the front with transpose(2, 0, 1)"
            )
        if image.shape == (4, rows, cols):
            raise AssertionError(
                "figure_to_array returned 4 channels (RGBA); drop the alpha channel"
            )
        if image.shape == (3, cols, rows):
            raise AssertionError(
                "figure_to_array: height and width are swapped; the shape is (3, H, W) with "
                "H = height in inches * dpi"
            )
        assert image.shape == (3, rows, cols), (
            f"figure_to_array should return shape (3, H, W) with H = height * dpi and W = width * dpi; "
            f"for a non-square test figure the shape was {image.shape}"
        )


def _saturated_colour(rng):
    """A colour with one channel at full intensity (255), one at 0 and one in between, in random order."""
    return rng.permutation(np.array([255, 0, int(rng.integers(60, 196))]))


@pytest.mark.points(1)
def test_rgb_channel_order(student, rng):
    """channel 0 is red, 1 green, 2 blue, 0..255 (figures of one known colour, one with a full channel)"""
    for face in (_random_colour(rng), _saturated_colour(rng)):
        width, height, dpi = _random_size(rng)
        image = _pixels(student, _figure(student, width, height, dpi, face))
        assert image.shape[0] == 3, (
            "figure_to_array should return 3 channels first (shape (3, H, W))"
        )
        values = image.reshape(3, -1).astype(int)
        if not all(np.all(values[c] == values[c, 0]) for c in range(3)):
            raise AssertionError(
                "figure_to_array: a figure of one colour gave channels that are not constant; "
                "reshape() mixes the colours of neighbouring pixels, use transpose(2, 0, 1) "
                "to move the channel axis to the front"
            )
        got = values[:, 0]
        if np.abs(got - face).max() <= 1:
            continue
        if np.abs(got - face[::-1]).max() <= 1:
            raise AssertionError(
                "figure_to_array: the channels are in BGR order; channel 0 must be red, 1 green, "
                "2 blue"
            )
        if np.abs(got - (2 * face) % 256).max() <= 2:
            raise AssertionError(
                "figure_to_array: the pixel values wrapped around (uint8 arithmetic such as "
                "image * 2); return the rendered values unchanged"
            )
        full = face == 255
        if full.any() and np.abs(got - face)[~full].max() <= 1:
            raise AssertionError(
                "figure_to_array: a channel at full intensity did not come back as 255 (a pure red "
                "figure must give 255 in channel 0); floats in [0, 1] are scaled by 255, not 256 "
                "(256 overflows uint8 to 0), or return the uint8 values of buffer_rgba() unchanged"
            )
        raise AssertionError(
            "figure_to_array: wrong colour values; return the red, green and blue channels of "
            "fig.canvas.buffer_rgba() (in this order, without the alpha channel) unchanged"
        )


@pytest.mark.points(1)
def test_orientation(student, rng):
    """row 0 is the top of the figure, column 0 its left edge (a known rectangle)"""
    width, height, dpi = _random_size(rng)
    face = _random_colour(rng)
    box = _random_colour(rng, avoid=face)
    fig = _figure(student, width, height, dpi, face)
    patches = student.import_module("matplotlib.patches")
    # the upper-left quarter of the figure (figure coordinates: x in [0, 0.5], y in [0.5, 1])
    rect = patches.Rectangle(
        (0.0, 0.5),
        0.5,
        0.5,
        transform=fig.transFigure,
        facecolor=tuple(float(c) / 255 for c in box),
        edgecolor="none",
    )
    fig.add_artist(rect)
    image = _pixels(student, fig)
    rows, cols = int(round(height * dpi)), int(round(width * dpi))
    assert image.shape == (3, rows, cols), (
        "figure_to_array should return shape (3, H, W) (see the shape check)"
    )
    pixels = image.astype(int)

    def colour(r, c):
        return pixels[:, r, c]

    m = 3  # stay away from the anti-aliased edge of the rectangle
    quarters = {
        "top left": colour(m, m),
        "top right": colour(m, cols - 1 - m),
        "bottom left": colour(rows - 1 - m, m),
        "bottom right": colour(rows - 1 - m, cols - 1 - m),
    }

    def same(first, second):
        return np.abs(first - second).max() <= 2

    # compare the quarters with each other, not with the colours, so that a wrong channel order or
    # wrapped values count only in the channel test
    odd = [
        k
        for k in quarters
        if not any(same(quarters[k], quarters[other]) for other in quarters if other != k)
    ]
    rest = [k for k in quarters if k not in odd]
    if odd == ["top left"] and all(same(quarters[rest[0]], quarters[k]) for k in rest):
        return
    if odd == ["bottom left"]:
        raise AssertionError(
            "figure_to_array: the image is upside down; row 0 must be the top of the figure "
            "(buffer_rgba() already starts at the top, do not flip it)"
        )
    if odd == ["top right"]:
        raise AssertionError(
            "figure_to_array: the image is mirrored left to right; column 0 must be the left edge"
        )
    raise AssertionError(
        "figure_to_array: the pixels are not where they are in the figure; return the rendered "
        "pixels as (channels, rows from the top, columns from the left)"
    )
