"""Data modules: [-1, 1] scaling, local IDX files, image folders, clear errors for missing data."""
import gzip
import math

import numpy as np
import pytest
import torch
from PIL import Image

from lightning_gan.cli import main
from lightning_gan.config import load_config
from lightning_gan.errors import DataError
from lightning_gan.data.base import scale_to_signed_unit
from lightning_gan.data.images import read_idx
from lightning_gan.data.mixtures import mixture_centers
from lightning_gan.registry import DATAMODULES, load_all

load_all()


def make_datamodule(*overrides):
    cfg = load_config(None, list(overrides))
    dm = DATAMODULES[cfg.data.name](cfg.data, seed=0)
    dm.prepare_data()  # the order Lightning and runs.fit use
    dm.setup("fit")
    return dm


def write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if compress else payload)


def fake_idx_set(folder, n=12, compress=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    images = rng.integers(0, 256, (n, 28, 28))
    write_idx(folder / f"train-images-idx3-ubyte{suffix}", images, compress)
    write_idx(folder / f"train-labels-idx1-ubyte{suffix}", np.arange(n) % 10, compress)
    return images  # the pixels written, [n, 28, 28]


def test_scaling_maps_byte_range_to_signed_unit():
    x = scale_to_signed_unit(torch.tensor([0, 51, 255], dtype=torch.uint8))
    torch.testing.assert_close(x, torch.tensor([-1.0, -0.6, 1.0]))


def test_digits_in_signed_unit_range_with_labels():
    dm = make_datamodule("data.name=digits")
    assert dm.sample_shape == (1, 8, 8) and dm.num_classes == 10 and len(dm.x) == 1797
    assert dm.x.min() == -1 and dm.x.max() == 1
    batch = next(iter(dm.train_dataloader()))
    assert batch.images.shape == (64, 1, 8, 8) and batch.labels.dtype == torch.long and batch.target is None
    assert dm.label_prior == pytest.approx((torch.bincount(dm.y) / 1797).tolist())


@pytest.mark.parametrize("compress", [True, False])
def test_fashion_mnist_from_local_idx_files(tmp_path, compress):
    images = fake_idx_set(tmp_path / "idx", compress=compress)
    dm = make_datamodule("data.name=fashion_mnist", f"data.path={tmp_path / 'idx'}", "data.batch_size=4",
                         "data.image_size=32")
    assert dm.sample_shape == (1, 32, 32) and len(dm.x) == 12
    assert dm.y.tolist() == [i % 10 for i in range(12)]
    raw = torch.from_numpy(images).float().unsqueeze(1) / 255 * 2 - 1  # the files' pixels in [-1, 1]
    # each image is its own file's image, resized (28 -> 32 and back correlates ~0.87 with it, ~0 with the others)
    back = torch.nn.functional.interpolate(dm.x, size=28, mode="bilinear", antialias=True)
    corr = torch.corrcoef(torch.cat([back.flatten(1), raw.flatten(1)]))[:12, 12:]  # [loaded, file]
    assert corr.argmax(dim=1).tolist() == list(range(12)) and corr.diagonal().min() > 0.7
    # scaled to [-1, 1] (0..255 -> -1..1): resizing keeps each image's mean pixel (measured: within 0.002)
    torch.testing.assert_close(dm.x.mean((1, 2, 3)), raw.mean((1, 2, 3)), atol=0.005, rtol=0)


def test_torchvision_raw_layout_is_found_under_root(tmp_path):
    fake_idx_set(tmp_path / "data" / "MNIST" / "raw", compress=False)
    dm = make_datamodule("data.name=mnist", f"data.root={tmp_path / 'data'}", "data.batch_size=4")
    assert len(dm.x) == 12


def test_missing_fashion_mnist_names_paths_and_fixes(tmp_path, capsys):
    assert main(["fit", "data.name=fashion_mnist", f"data.path={tmp_path / 'nowhere'}", "run.root=runs"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "nowhere") in err and "data.download=true" in err
    assert not (tmp_path / "runs").exists()


def test_truncated_idx_file_is_reported(tmp_path):
    fake_idx_set(tmp_path / "idx", compress=False)
    path = tmp_path / "idx" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="header says"):
        read_idx(path)
    with pytest.raises(DataError, match="bad magic"):
        (tmp_path / "junk").write_bytes(b"hello world")
        read_idx(tmp_path / "junk")


def test_image_folder_reads_classes_and_resizes(tmp_path):
    for cls in ("cats", "dogs"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((20, 30, 3), 40 * i, dtype=np.uint8)).save(tmp_path / "imgs" / cls / f"{i}.png")
    dm = make_datamodule("data.name=image_folder", f"data.path={tmp_path / 'imgs'}", "data.batch_size=2",
                         "data.image_size=16")
    assert dm.sample_shape == (3, 16, 16) and dm.num_classes == 2
    pixels = dm.x.flatten(1)
    assert (pixels == pixels[:, :1]).all()  # a constant image stays constant through resize and crop
    levels = scale_to_signed_unit(torch.tensor([0, 40, 80], dtype=torch.uint8)).tolist()  # -1, -0.686, -0.373
    assert sorted(zip(dm.y.tolist(), pixels[:, 0].tolist())) == [(c, v) for c in (0, 1) for v in levels]


@pytest.mark.parametrize("setup, words", [("missing", "directory not found"), ("empty", "no image files"),
                                          ("corrupt", "cannot decode")])
def test_image_folder_errors(tmp_path, setup, words):
    folder = tmp_path / "imgs"
    if setup != "missing":
        folder.mkdir()
    if setup == "corrupt":
        (folder / "bad.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=words):
        make_datamodule("data.name=image_folder", f"data.path={folder}", "data.batch_size=1")


def test_mixture_layouts():
    ring = mixture_centers("ring", 8, 2.0)
    torch.testing.assert_close(ring.norm(dim=1), torch.full((8,), 2.0))
    grid = mixture_centers("grid", 25, 4.0)
    assert sorted(set(grid[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    dm = make_datamodule("data.sigma=0.1")
    # every sample sits near its own mode's centre
    assert (dm.x - ring[dm.y]).norm(dim=1).max() < 6 * 0.1 * math.sqrt(2)


def test_download_route_uses_torchvision_then_reads_its_files(tmp_path, monkeypatch):
    """With data.download=true the set comes from torchvision's own download (faked: no network)."""
    import torchvision

    calls = []

    class FakeFashionMNIST:
        def __init__(self, root, train, download):
            calls.append((root, train, download))
            fake_idx_set(tmp_path / "data" / "FashionMNIST" / "raw", compress=False)

    monkeypatch.setattr(torchvision.datasets, "FashionMNIST", FakeFashionMNIST)
    # local copies win over a download: hide Debian's, in case this machine has it installed
    monkeypatch.setattr(DATAMODULES["fashion_mnist"], "system_dirs", ())
    dm = make_datamodule("data.name=fashion_mnist", f"data.root={tmp_path / 'data'}", "data.download=true",
                         "data.batch_size=4")
    assert calls == [(str(tmp_path / "data"), True, True)] and len(dm.x) == 12


def test_failed_download_is_a_data_error(tmp_path, monkeypatch):
    import torchvision

    def offline(*args, **kwargs):
        raise OSError("name resolution failed")

    monkeypatch.setattr(torchvision.datasets, "MNIST", offline)
    with pytest.raises(DataError, match="download of MNIST failed"):
        make_datamodule("data.name=mnist", f"data.root={tmp_path / 'data'}", "data.download=true")


def test_each_data_module_says_what_it_read(tmp_path):
    fake_idx_set(tmp_path / "idx")
    idx = make_datamodule("data.name=fashion_mnist", f"data.path={tmp_path / 'idx'}", "data.batch_size=4")
    assert idx.source == (f"{tmp_path / 'idx' / 'train-images-idx3-ubyte.gz'} and "
                          f"{tmp_path / 'idx' / 'train-labels-idx1-ubyte.gz'} (12 images, train split)")
    assert make_datamodule("data.name=digits").source.startswith("scikit-learn's bundled digits (load_digits: 1797")
    assert make_datamodule().source == "synthetic: 51200 points of a ring of 8 Gaussians (σ=0.05), drawn with seed 0"
    (tmp_path / "mixed").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "mixed" / "rgb.png")
    for i in range(2):
        Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "mixed" / f"gray{i}.png")
    mixed = make_datamodule("data.name=image_folder", f"data.path={tmp_path / 'mixed'}", "data.batch_size=1",
                            "data.image_size=8")
    assert mixed.source.endswith("; converted to RGB (data.channels=3): 2 L")


@pytest.mark.parametrize("key", ["root", "path"])
def test_a_data_directory_that_is_a_file_is_refused(tmp_path, key, capsys):
    (tmp_path / "a_file").write_text("x")
    assert main(["fit", "data.name=fashion_mnist", f"data.{key}={tmp_path / 'a_file'}", "run.root=runs"]) == 2
    err = capsys.readouterr().err
    assert f"data.{key}: {tmp_path / 'a_file'} is a file, not a directory" in err
    assert not (tmp_path / "runs").exists()


def test_a_run_prints_and_records_its_data(capsys):
    assert main(["fit", "train.g_steps=2", "data.n_samples=64", "data.batch_size=8", "run.name=r",
                 "run.wandb.mode=disabled", "trainer.accelerator=cpu"]) == 0
    out = capsys.readouterr().out
    assert "data: mixture: synthetic: 64 points of a ring of 8 Gaussians" in out
    import json
    from pathlib import Path
    rows = [json.loads(line) for line in Path("runs/r/data.jsonl").read_text().splitlines()]
    assert rows == [{"g_step": 0, "name": "mixture", "source": rows[0]["source"], "samples": 64, "shape": [2]}]


def test_an_empty_config_file_is_refused(tmp_path, capsys):
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    assert main(["fit", str(tmp_path / "empty.yaml")]) == 2
    assert "the file is empty: it would train the defaults" in capsys.readouterr().err
