"""Our DCGAN beside peers' DCGANs on Fashion-MNIST 32x32: training speed in each framework's own loop,
and FID / KID of all three through one pipeline (ours).

Peers: torchgan 0.1.0 (``torchgan.trainer.Trainer``, its DCGANGenerator / DCGANDiscriminator at 32 px, 1
channel, defaults: our layer shapes at width 64, but LeakyReLU(0.2) in G, no bias and a LeakyReLU on D's
output logit, Kaiming init) and torch-mimicry 0.1.16 (``torch_mimicry.training.Trainer``, its ResNet-style
DCGANGenerator32 / DCGANDiscriminator32, 3 channels, nz 128, ngf / ndf chosen for our parameter counts). They run in their own venv, runs/bench-peers/venv (created here on first use: torch and
torchvision pinned to the main venv's versions, the peers with --no-deps since torch-mimicry requires
tensorflow, plus the few pure dependencies they import), one subprocess per peer. Each peer runs twice:
as shipped (a failure on current torch is reported with the last lines of its traceback instead of
figures), then "+ shim", with the one compatibility fix it needs (``apply_shims``) and nothing else.

Protocol: batch 64, Adam 2e-4 betas (0.5, 0.999), one D step per G step, non-saturating loss, seed 0,
one CPU thread, our exact preprocessing (IDX train split, 28 -> 32 antialiased resize, [-1, 1]; the peers
check the bytes against ours). G steps/s: G steps over the wall clock of the training call alone (ours:
``RunResult.seconds``, trainer.fit). Quality: each model's G (eval mode) draws N images from seed 12345,
saved as uint8 [N, 1, 32, 32] (mimicry: mean of its 3 channels), scored by our ``Evaluator`` with the
standard Inception weights against N Fashion-MNIST test images (Lucic et al. 2018 protocol).

    python bench/peers.py --g-steps 500 --fid-samples 1000            # bench/results/peers.json
    python bench/peers.py --g-steps 5 --fid-samples 50 --out /tmp/peers-smoke.json   # a smoke test

Resumable: each model is a part, <out without .json>/<model>.json, kept while its G steps and N match.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.machinery
import json
import shutil
import subprocess
import sys
import time
import traceback
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# bench.common imports only the standard library at first: the peers' venv loads it too.
from bench.common import machine, save_json

RUNS = ROOT / "runs" / "bench-peers"
VENV = RUNS / "venv"
TRAIN_IDX = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
# torch / torchvision: the main venv's versions (local builds; unpinned, pip would download GBs).
# tensorboard (torch_mimicry.training), scikit-image and scikit-learn (its utils / metrics): what the
# peers import at top level, found by trying. torchgan needs nothing beyond numpy / Pillow.
INSTALLS = (["torch==2.14.1", "torchvision==0.29.1"], ["--no-deps", "torchgan==0.1.0", "torch-mimicry==0.1.16"],
            ["tensorboard", "scikit-image", "scikit-learn"])
BATCH, LR, BETAS, SAMPLE_SEED = 64, 2e-4, (0.5, 0.999), 12345
MIMICRY_NGF, MIMICRY_NDF = 120, 101  # 1,074,483 / 657,006 parameters against our 1,066,881 / 661,313
FRAMEWORKS = {"ours": "lightning-gan", "torchgan": "torchgan 0.1.0", "mimicry": "torch-mimicry 0.1.16"}
# Each peer as shipped, then with the one fix it needs on current torch ("+shim", see apply_shims).
MODELS = ["ours", "torchgan", "mimicry", "torchgan+shim", "mimicry+shim"]


def ensure_venv() -> Path:
    """The peers' venv, reused when its marker records the same installs."""
    python, marker = VENV / "bin" / "python", VENV / "bench-peers-installs.json"
    if marker.is_file() and json.loads(marker.read_text()) == list(INSTALLS):
        return python
    if not python.is_file():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    for args in INSTALLS:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *args], check=True)
    marker.write_text(json.dumps(list(INSTALLS)))
    return python


def digest(x) -> str:
    """lightning_gan.metrics.features.tensor_digest, restated: the peers' venv cannot import the project."""
    h = hashlib.sha1(str((tuple(x.shape), str(x.dtype))).encode())
    h.update(x.contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def n_params(net) -> int:
    return sum(p.numel() for p in net.parameters())


def to_uint8(images):
    """[-1, 1] -> uint8 with to_inception_input's rounding: scoring the file equals scoring the floats."""
    import torch

    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


# ------------------------------------------------------------------ inside the peers' venv
def fashion_train():
    """Our preprocessing (data/images.py: read_idx, resize, scale_to_signed_unit) without the project."""
    import numpy as np
    import torch
    from torchvision.transforms import v2

    with gzip.open(TRAIN_IDX, "rb") as f:
        pixels = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)
    x = v2.functional.resize(torch.from_numpy(pixels.copy()), [32, 32], antialias=True)
    return v2.functional.to_dtype(x, torch.float32, scale=True) * 2 - 1  # [60000, 1, 32, 32]


def train_torchgan(x, g_steps: int, run_dir: Path):
    import torch
    from torchgan.losses import MinimaxDiscriminatorLoss, MinimaxGeneratorLoss
    from torchgan.models import DCGANDiscriminator, DCGANGenerator
    from torchgan.trainer import Trainer

    adam = {"name": torch.optim.Adam, "args": {"lr": LR, "betas": BETAS}}
    models = {"generator": {"name": DCGANGenerator, "optimizer": adam,
                            "args": {"encoding_dims": 100, "out_size": 32, "out_channels": 1}},
              "discriminator": {"name": DCGANDiscriminator, "optimizer": adam,
                                "args": {"in_size": 32, "in_channels": 1}}}
    trainer = Trainer(models, [MinimaxGeneratorLoss(nonsaturating=True), MinimaxDiscriminatorLoss()],
                      device=torch.device("cpu"), ncritic=1, epochs=1, sample_size=64,
                      checkpoints=str(run_dir / "checkpoints" / "gan"), recon=str(run_dir / "images"))
    # Its loop runs whole epochs: one "epoch" of exactly g_steps shuffled batches (reshuffled per pass).
    order = torch.cat([torch.randperm(len(x), generator=torch.Generator().manual_seed(i))
                       for i in range(-(-g_steps * BATCH // len(x)))])[: g_steps * BATCH]
    loader = torch.utils.data.DataLoader(x, batch_size=BATCH, sampler=order.tolist(), drop_last=True)
    started = time.perf_counter()
    trainer(loader)
    seconds = time.perf_counter() - started
    g, d = trainer.generator, trainer.discriminator
    return g, 100, seconds, trainer.loss_information["generator_iters"], n_params(g), n_params(d), 1


def apply_shims(peer: str) -> None:
    """The one current-torch fix each peer needs, found by running it as shipped, and nothing else."""
    if peer == "torchgan":  # its end-of-epoch image logging calls make_grid(range=...); now value_range
        import torchvision.utils

        make_grid = torchvision.utils.make_grid

        def renamed(*args, **kwargs):
            kwargs.setdefault("value_range", kwargs.pop("range", None))
            return make_grid(*args, **kwargs)
        torchvision.utils.make_grid = renamed
    else:  # torch_mimicry/datasets/imagenet imports torch._six (PY3, string_classes), gone from current torch
        import torch

        torch._six = sys.modules["torch._six"] = types.ModuleType("torch._six")
        torch._six.PY3, torch._six.string_classes = True, (str, bytes)


def train_mimicry(x, g_steps: int, run_dir: Path):
    import torch
    import torch.utils.tensorboard  # these two probe for a real tensorflow: import them before the stub
    import torchvision  # noqa: F401

    # Only torch_mimicry.metrics imports tensorflow (its own FID / IS / KID, unused here): a stub lets the
    # import go exactly as far as it would with tensorflow installed.
    tf = sys.modules["tensorflow"] = types.ModuleType("tensorflow")
    tf.__spec__ = importlib.machinery.ModuleSpec("tensorflow", None)
    from torch_mimicry.nets.dcgan import DCGANDiscriminator32, DCGANGenerator32
    from torch_mimicry.training import Trainer

    g, d = DCGANGenerator32(ngf=MIMICRY_NGF), DCGANDiscriminator32(ndf=MIMICRY_NDF)  # loss_type "ns" by default
    data = torch.utils.data.TensorDataset(x.expand(-1, 3, -1, -1).contiguous(), torch.zeros(len(x)))  # gray -> RGB
    loader = torch.utils.data.DataLoader(data, batch_size=BATCH, shuffle=True, drop_last=True)
    trainer = Trainer(netD=d, netG=g, optD=torch.optim.Adam(d.parameters(), LR, betas=BETAS),
                      optG=torch.optim.Adam(g.parameters(), LR, betas=BETAS), dataloader=loader, num_steps=g_steps,
                      n_dis=1, log_dir=str(run_dir / "log"), device=torch.device("cpu"), print_steps=50)
    started = time.perf_counter()
    trainer.train()
    return g, g.nz, time.perf_counter() - started, g_steps, n_params(g), n_params(d), 3


def peer_main(model: str, g_steps: int, n: int, run_dir: Path) -> None:
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    peer, shimmed = model.removesuffix("+shim"), model.endswith("+shim")
    x = fashion_train()
    out = {"data_digest": digest(x), "torch": torch.__version__}
    try:
        if shimmed:
            apply_shims(peer)
        train = train_torchgan if peer == "torchgan" else train_mimicry
        g, nz, seconds, steps, g_params, d_params, channels = train(x, g_steps, run_dir)
        g.eval()
        with torch.no_grad():
            z = torch.randn(n, nz, generator=torch.Generator().manual_seed(SAMPLE_SEED))
            images = torch.cat([g(chunk) for chunk in z.split(250)])
        images = images.mean(1, keepdim=True) if channels == 3 else images  # mimicry's 3 channels -> gray
        torch.save(to_uint8(images), run_dir / "samples.pt")
        out.update(train_seconds=seconds, g_steps_done=steps, g_params=g_params, d_params=d_params)
    except Exception:  # noqa: BLE001 - a peer that breaks on current torch is a result, kept verbatim
        out["error"] = "".join(traceback.format_exc().strip().splitlines(keepends=True)[-6:])
    save_json(run_dir / "train.json", out)


# ------------------------------------------------------------------ the main venv
def train_ours(g_steps: int, n: int, run_dir: Path) -> None:
    import torch

    from lightning_gan.config import load_config
    from lightning_gan.evaluation import SAMPLE_SEED as OURS_SEED
    from lightning_gan.runs import fit

    assert OURS_SEED == SAMPLE_SEED
    cfg = load_config(ROOT / "configs" / "dcgan_fashion_mnist.yaml",
                      [f"train.g_steps={g_steps}", "run.wandb.mode=disabled", "eval.every=0",
                       f"run.root={run_dir.parent}", f"run.name={run_dir.name}"])
    result = fit(cfg, verbose=False)
    module = result.module.eval()
    with torch.no_grad():
        images = module.generate(n, torch.Generator().manual_seed(SAMPLE_SEED)).samples
    torch.save(to_uint8(images), run_dir / "samples.pt")
    save_json(run_dir / "train.json", {"train_seconds": result.seconds, "g_steps_done": module.g_steps,
                                       "g_params": n_params(module.generator), "d_params": n_params(module.discriminator),
                                       "torch": torch.__version__})


class Scorer:
    """Our Evaluator (inception group, test-split reference) fed from a saved uint8 tensor instead of a G."""

    def __init__(self, n: int):
        from lightning_gan.config import load_config
        from lightning_gan.evaluate_run import build_datamodule
        from lightning_gan.evaluation import Evaluator
        from lightning_gan.metrics.features import tensor_digest

        self.datamodule = build_datamodule(load_config(ROOT / "configs" / "dcgan_fashion_mnist.yaml", []))
        self.data_digest = tensor_digest(self.datamodule.x)
        self.evaluator = Evaluator(self.datamodule, ["inception"], n, reference="test", log=lambda *a: None)

    def __call__(self, images) -> dict:
        from lightning_gan.base import Generated
        from lightning_gan.data.base import scale_to_signed_unit

        x, cursor = scale_to_signed_unit(images), [0]

        def sample(count, generator):  # the evaluator draws in order, batch by batch
            cursor[0] += count
            return Generated(x[cursor[0] - count: cursor[0]], None)
        return self.evaluator.run(sample)


def run_model(model: str, args, scorer: list) -> dict:
    import torch

    slug = model.replace("+", "-")
    part = Path(args.out).with_suffix("") / f"{slug}.json"
    if part.is_file():
        kept = json.loads(part.read_text())
        if (kept["g_steps"], kept["fid_samples"]) == (args.g_steps, args.fid_samples):
            print(f"{slug}: kept {part}", flush=True)
            return kept
    run_dir = RUNS / f"{slug}-g{args.g_steps}"
    shutil.rmtree(run_dir, ignore_errors=True)  # a half-trained run would not time the whole loop
    started = time.perf_counter()
    if model == "ours":
        cmd = [sys.executable, __file__, "--ours", str(args.g_steps), str(args.fid_samples), str(run_dir)]
    else:
        run_dir.mkdir(parents=True)
        cmd = [str(ensure_venv()), __file__, "--peer", model, str(args.g_steps), str(args.fid_samples), str(run_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)  # errors are results
    (RUNS / f"{slug}-g{args.g_steps}.log").write_text(proc.stdout + proc.stderr)
    trained = json.loads((run_dir / "train.json").read_text()) if (run_dir / "train.json").is_file() else \
        {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-1500:]}"}
    framework = FRAMEWORKS[model.removesuffix("+shim")] + (" + shim" if model.endswith("+shim") else "")
    result = {"model": slug, "framework": framework, "g_steps": args.g_steps, "fid_samples": args.fid_samples,
              "batch_size": BATCH, "run_dir": str(run_dir), **trained}
    if "error" not in trained:
        if not scorer:
            scorer.append(Scorer(args.fid_samples))
        if model != "ours":  # the peer trained on exactly our tensor
            result["same_data_as_ours"] = trained["data_digest"] == scorer[0].data_digest
        result["g_steps_per_s"] = trained["g_steps_done"] / trained["train_seconds"]
        result["metrics"] = scorer[0](torch.load(run_dir / "samples.pt"))
        result["protocol"] = scorer[0].evaluator.protocol
    result.update(part_seconds=time.perf_counter() - started, machine=machine())
    save_json(part, result)
    print(f"{slug}: " + (f"{result['g_steps_per_s']:.2f} G steps/s" if "error" not in result else "error"), flush=True)
    return result


NETWORKS = {"ours": "DCGAN 32px, width 64, 1 ch", "torchgan": "DCGANGenerator/Discriminator 32px, step 64, 1 ch",
            "mimicry": f"ResNet DCGAN*32, ngf {MIMICRY_NGF} / ndf {MIMICRY_NDF}, 3 ch"}


def print_table(parts: list[dict]) -> None:
    from lightning_gan.keys import count_tag

    ours = next((p.get("g_steps_per_s") for p in parts if p["model"] == "ours"), None)
    print("\n| framework | networks | G params | D params | batch | G steps | G steps/s | ratio to ours | FID | KID "
          "| N | error |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    def cell(value, fmt):
        return "–" if value is None else fmt.format(value)
    for p in parts:
        m, tag, speed = p.get("metrics", {}), count_tag(p["fid_samples"]), p.get("g_steps_per_s")
        kid = f"{m[f'kid{tag}']:.4f} ± {m[f'kid_std{tag}']:.4f}" if f"kid{tag}" in m else "–"
        error = p["error"].strip().splitlines()[-1] if "error" in p else ""  # the exception line; the JSON has more
        print(f"| {p['framework']} | {NETWORKS[p['model'].split('-')[0]]} | {cell(p.get('g_params'), '{:,}')} | "
              f"{cell(p.get('d_params'), '{:,}')} | {p['batch_size']} | {p['g_steps']} | {cell(speed, '{:.2f}')} | "
              f"{cell(speed / ours if speed and ours else None, '{:.2f}')} | {cell(m.get(f'fid{tag}'), '{:.1f}')} | "
              f"{kid} | {p['fid_samples']} | {error} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--g-steps", type=int, default=1000)
    parser.add_argument("--fid-samples", type=int, default=1000, help="N generated and N test images")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "peers.json"))
    parser.add_argument("--models", nargs="+", choices=MODELS, default=MODELS, help="default: all")
    parser.add_argument("--ours", nargs=3, help=argparse.SUPPRESS)  # internal: G_STEPS N RUN_DIR
    parser.add_argument("--peer", nargs=4, help=argparse.SUPPRESS)  # internal, peers' venv: MODEL G_STEPS N RUN_DIR
    args = parser.parse_args()
    if args.ours:
        return train_ours(int(args.ours[0]), int(args.ours[1]), Path(args.ours[2]))
    if args.peer:
        return peer_main(args.peer[0], int(args.peer[1]), int(args.peer[2]), Path(args.peer[3]))
    started, scorer = time.perf_counter(), []
    parts = [run_model(model, args, scorer) for model in args.models]
    print_table(parts)
    save_json(args.out, {"g_steps": args.g_steps, "fid_samples": args.fid_samples, "parts": parts,
                         "seconds": time.perf_counter() - started, "machine": machine()})
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
