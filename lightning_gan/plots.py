"""PNG outputs: image grids and 2D scatter plots over the real data."""
from __future__ import annotations

from pathlib import Path

import torch


MIN_CELL = 16  # px: smaller images (8x8 digits) are enlarged by an integer factor, so a grid stays legible
LINE = 12  # px per caption line: PIL's default bitmap font is ~11 px high


def save_image_grid(path: Path, images: torch.Tensor, columns: int | None = None, title: str | None = None) -> None:
    """images in [-1, 1], [N, C, H, W] -> one PNG grid, ``columns`` wide (default: square).

    title: a caption strip above the grid (e.g. the G step), as the scatter plots carry theirs; a caption
    wider than the grid wraps onto more lines rather than being cut.
    """
    from PIL import Image, ImageDraw
    from torchvision.utils import make_grid

    path.parent.mkdir(parents=True, exist_ok=True)
    nrow = columns or max(1, int(len(images) ** 0.5))
    factor = -(-MIN_CELL // images.shape[-1])  # ceil: 1 for images of 16 px and more
    if factor > 1:
        images = images.repeat_interleave(factor, dim=-1).repeat_interleave(factor, dim=-2)  # nearest neighbour
    grid = make_grid((images.clamp(-1, 1) + 1) / 2, nrow=nrow, padding=1)  # [C, H, W] in [0, 1]
    picture = Image.fromarray(grid.mul(255).add_(0.5).clamp_(0, 255).byte().permute(1, 2, 0).numpy())
    if title:
        lines = _wrap(title, picture.width - 4, ImageDraw.Draw(picture))
        strip = 14 + LINE * (len(lines) - 1)
        captioned = Image.new("RGB", (picture.width, picture.height + strip), "white")
        captioned.paste(picture, (0, strip))
        draw = ImageDraw.Draw(captioned)
        for i, line in enumerate(lines):
            draw.text((2, 1 + LINE * i), line, fill="black")
        picture = captioned
    picture.save(path)


def _wrap(text: str, width: int, draw) -> list[str]:
    """Greedy word wrap to ``width`` pixels of the default font (a single long word keeps its own line)."""
    lines: list[str] = []
    for word in text.split(" "):
        if lines and draw.textlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def save_scatter(path: Path, samples: torch.Tensor, real: torch.Tensor, title: str) -> None:
    """Generated 2D points over real ones, on a fixed square so frames are comparable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    extent = float(real.abs().max()) * 1.25
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.scatter(real[:, 0], real[:, 1], s=2, c="tab:blue", alpha=0.3, label="data")
    ax.scatter(samples[:, 0], samples[:, 1], s=2, c="tab:red", alpha=0.4, label="generated")
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper right", markerscale=4, fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def save_latent_scatter(path: Path, codes: torch.Tensor, classes: torch.Tensor, title: str) -> None:
    """2D latent codes coloured by class (a VAE's posterior means), with a legend of the classes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5.5, 5), dpi=100)
    count = int(classes.max()) + 1
    points = ax.scatter(codes[:, 0], codes[:, 1], s=3, c=classes, cmap="tab10" if count <= 10 else "tab20",
                        vmin=-0.5, vmax=count - 0.5, alpha=0.7)
    fig.colorbar(points, ax=ax, ticks=range(count), label="class")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
