"""Recipe `spoken_digits`: M5 learns the ten English digits from espeak-ng's synthetic voices.

There is no speech dataset to download here, but Debian's espeak-ng speaks. A "voice" is an accent
(en-gb, en-us, Scottish, …) plus a voice variant (+m3, +f2, the Klatt formant synthesiser, …); each
take is spoken at a random speed, pitch and loudness. Evaluation uses whole voices the model never
heard: every voice whose accent or variant is held out, so the score measures new speakers, not
new takes of known ones. (Holding out the West Midlands accent as well cost ~25 points on it: its
vowels are unlike any other accent's, so it is trained on.) Every clip goes through
`zoo.demos.spoken_digits.prepare`, as a user's recording will, and training adds light augmentation:
a vocal-tract-length stretch, time shift, gain and background noise.

    python -m zoo.train spoken_digits   # ≈1–2 min on 2 CPU cores
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import build, torch_generator
from ..runtime import single_threaded
from . import recipe

ACCENTS = ("en-gb", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-us-nyc", "en-029")
VARIANTS = (  # espeak-ng's voice variants (files in espeak-ng-data/voices/!v): formants, pitch range, breathiness
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5",
    "klatt", "klatt2", "klatt3", "klatt4",  # the Klatt formant synthesiser instead of espeak's own
    "Alex", "adam", "Andy", "boris", "david", "edward", "Gene", "iven", "john", "Lee", "max", "Mike", "norbert",
    "paul", "quincy", "rob", "robert", "travis", "victor", "grandpa", "Denis", "michel", "shelby", "zac", "whisper",
    "Alicia", "Andrea", "Annie", "anika", "aunty", "belinda", "linda", "steph", "steph2", "steph3", "grandma", "whisperf",
)  # fmt: skip
HELD_OUT_ACCENTS = ("en-029",)  # Caribbean English
HELD_OUT_VARIANTS = ("m4", "m7", "klatt2", "Mike", "rob", "f3", "anika", "steph3")
BREAK = 0.5  # seconds of silence espeak-ng puts between the words of one call
SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "audio"


@dataclass(frozen=True)
class Voice:
    accent: str
    variant: str

    @property
    def name(self) -> str:  # espeak-ng's -v argument
        return f"{self.accent}+{self.variant}"


def voices(held_out: bool) -> list[Voice]:
    """The training voices, or (held_out=True) every voice with an accent or variant training never uses."""
    return [
        Voice(a, v) for a in ACCENTS for v in VARIANTS if (a in HELD_OUT_ACCENTS or v in HELD_OUT_VARIANTS) == held_out
    ]


def espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise RuntimeError("espeak-ng is not installed; the spoken-digit recipe needs it: apt-get install espeak-ng")
    return path


def espeak_version() -> str:
    out = subprocess.run([espeak(), "--version"], capture_output=True, text=True, check=True).stdout
    return out.split(":")[1].split()[0] if ":" in out else out.strip()


def speak(
    words: list[str], voice: Voice, speed: int, pitch: int, amplitude: int, folder: str
) -> tuple[np.ndarray, int]:
    """espeak-ng saying `words` with a pause between them (-s words per minute, -p pitch 0–99,
    -a amplitude 0–200), as (samples, rate). One process for many words: start-up dominates its cost."""
    import soundfile as sf

    path = os.path.join(folder, f"{voice.name}-{speed}-{pitch}-{amplitude}-{'-'.join(words)}.wav")
    ssml = "<speak>" + f'<break time="{BREAK * 1000:.0f}ms"/>'.join(words) + "</speak>"
    cmd = [espeak(), "-m", "-v", voice.name, "-s", str(speed), "-p", str(pitch), "-a", str(amplitude), "-w", path, ssml]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    wave, sr = sf.read(path, dtype="float32")
    os.remove(path)
    return wave, sr


def split_words(wave: np.ndarray, sr: int, count: int, margin: float = 0.05) -> list[np.ndarray] | None:
    """The words of one call, each trimmed to its sound ± `margin` s; None unless exactly `count` come out."""
    hop = sr // 100  # 10 ms frames
    rms = np.sqrt((wave[: len(wave) // hop * hop].reshape(-1, hop) ** 2).mean(1))
    sounding = np.flatnonzero(rms > 10 ** (-50 / 20) * rms.max())  # within 50 dB of the loudest frame: not echo
    if len(sounding) == 0:
        return None
    gap = np.flatnonzero(np.diff(sounding) > 0.4 * BREAK * 100)  # 0.2 s: longer than any stop closure in a word
    starts, ends = sounding[np.r_[0, gap + 1]] * hop, (sounding[np.r_[gap, -1]] + 1) * hop
    pad = int(margin * sr)
    return [wave[max(a - pad, 0) : b + pad] for a, b in zip(starts, ends)] if len(starts) == count else None


def resample_many(waves: list[np.ndarray], sr: int, new_sr: int, batch: int = 32) -> list[np.ndarray]:
    """`features.resample` on many clips at once: similar lengths are zero-padded into one batch, so the
    sinc kernel is computed once per batch; the padding is what resample assumes beyond a clip's end."""
    from zoo.audio.features import resample

    out: list[np.ndarray] = [np.empty(0)] * len(waves)
    order = sorted(range(len(waves)), key=lambda i: len(waves[i]))
    for k in range(0, len(order), batch):
        ids = order[k : k + batch]
        n = len(waves[ids[-1]])
        res = resample(torch.from_numpy(np.stack([np.pad(waves[i], (0, n - len(waves[i]))) for i in ids])), sr, new_sr)
        for i, row in zip(ids, res.numpy()):
            out[i] = row[: int(np.ceil(len(waves[i]) * new_sr / sr))]
    return out


def synthesize(
    words: tuple[str, ...], voice_list: list[Voice], takes: int = 1, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every word in every voice, `takes` times at random speed/pitch/loudness, prepared for M5.

    Each take is one espeak-ng call saying all the words in random order, cut at the pauses.
    Returns (N, 8000) waveforms and (N,) labels (indices into `words`).
    """
    from zoo.demos.spoken_digits import SAMPLE_RATE, prepare

    espeak()  # fail early with the install hint
    rng = random.Random(seed)
    calls = [
        (
            voice,
            rng.sample(range(len(words)), len(words)),
            rng.randint(120, 220),
            rng.randint(20, 80),
            rng.randint(60, 180),
        )
        for voice in voice_list
        for _ in range(takes)
    ]
    with tempfile.TemporaryDirectory(prefix="espeak-") as folder:

        def one(call):
            voice, order, speed, pitch, amplitude = call
            wave, sr = speak([words[i] for i in order], voice, speed, pitch, amplitude, folder)
            return split_words(wave, sr, len(order)), sr

        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:  # espeak-ng is single-threaded
            spoken = list(pool.map(one, calls))
    clips, labels = [], []
    for (parts, sr), (_, order, *_) in zip(spoken, calls):
        if parts is not None:
            clips += parts
            labels += order
    failed = sum(parts is None for parts, _ in spoken)
    if failed > len(calls) // 20:
        raise RuntimeError(f"{failed} of {len(calls)} espeak-ng calls did not split into {len(words)} words")
    # resampled first in batches (fast), then the demo's own preparation at 8 kHz
    x = [prepare(w, SAMPLE_RATE)[0] for w in resample_many(clips, spoken[0][1], SAMPLE_RATE)]
    return torch.from_numpy(np.stack(x)), torch.tensor(labels)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Light, label-preserving changes to a batch of prepared (B, 8000) clips, then peak 1 again."""
    b, n = x.shape
    # vocal-tract length: stretching a clip lowers its formants and pitch together, like a larger speaker
    stretched = F.interpolate(
        x[:, None], scale_factor=float(torch.empty(()).uniform_(0.85, 1.15, generator=gen)), mode="linear"
    )[:, 0]
    pad = n - stretched.shape[1]
    x = F.pad(stretched, (pad // 2, pad - pad // 2))  # centred crop (negative pad) or zero-pad back to n
    shifts = torch.randint(-1200, 1201, (b,), generator=gen)  # up to ±0.15 s: the centring is not exact
    idx = torch.arange(n)[None] - shifts[:, None]
    x = torch.where((idx >= 0) & (idx < n), x.gather(1, idx.clamp(0, n - 1)), torch.zeros(()))
    gain = torch.empty(b, 1).uniform_(0.3, 1.0, generator=gen)  # quieter speech over the same noise: lower SNR
    noise = torch.randn(b, n, generator=gen) * torch.empty(b, 1).uniform_(0.0, 0.03, generator=gen)
    x = x * gain + noise
    return x / x.abs().amax(1, keepdim=True).clamp(min=1e-6)


def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.inference_mode():
        pred = torch.cat([model(chunk[:, None]).argmax(-1) for chunk in x.split(256)])
    return 100.0 * (pred == y).float().mean().item()


def train(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    batch: int = 64,
    lr: float = 1e-2,
    seed: int = 0,
) -> float:
    """AdamW with a one-cycle learning rate over augmented batches; returns the last epoch's mean loss."""
    gen = torch.Generator().manual_seed(seed)
    steps = epochs * ((len(x) + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for _ in range(epochs):
        model.train()
        losses = []
        for idx in torch.randperm(len(x), generator=gen).split(batch):
            loss = F.cross_entropy(model(augment(x[idx], gen)[:, None]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
    return float(np.mean(losses))


def write_samples(words: tuple[str, ...]) -> list[Path]:
    """A few tiny held-out-voice clips for the demo, at 8 kHz in WAV (16-bit), FLAC and OGG/Vorbis."""
    import soundfile as sf

    from zoo.audio.features import resample
    from zoo.demos.spoken_digits import SAMPLE_RATE

    picks = [  # (word, accent, variant, file type)
        ("three", "en-029", "m4", "wav"),
        ("seven", "en-gb-x-rp", "f3", "wav"),
        ("zero", "en-us", "klatt2", "wav"),
        ("five", "en-gb", "m7", "flac"),
        ("nine", "en-029", "f1", "ogg"),
    ]
    SAMPLES.mkdir(parents=True, exist_ok=True)
    out = []
    with tempfile.TemporaryDirectory(prefix="espeak-") as folder:
        for word, accent, variant, ext in picks:
            assert word in words and (accent in HELD_OUT_ACCENTS or variant in HELD_OUT_VARIANTS)
            wave, sr = speak([word], Voice(accent, variant), 160, 50, 100, folder)
            wave = resample(torch.from_numpy(wave), sr, SAMPLE_RATE).clamp(-1, 1).numpy()
            path = SAMPLES / f"{word}.{ext}"
            subtype = {"wav": "PCM_16", "flac": "PCM_16", "ogg": "VORBIS"}[ext]
            sf.write(path, wave, SAMPLE_RATE, subtype=subtype)
            out.append(path)
    return out


@recipe("spoken_digits")
def spoken_digits(epochs: int = 12, takes: int = 1) -> dict:
    """M5 on espeak-ng digits (10 classes, 8 kHz); evaluated on held-out synthetic voices."""
    from zoo.weights import get, manifest, save_shipped

    t0 = time.time()
    # A 27K-parameter net on batches of 64: intra-op threads cost more than they save on a busy
    # CPU (10× slower here), and one thread makes the run bit-for-bit reproducible.
    with single_threaded():
        words = get("m5").labels  # "zero".."nine": the registered weights' labels are what espeak-ng says
        x_train, y_train = synthesize(words, voices(held_out=False), takes=takes, seed=0)
        x_test, y_test = synthesize(words, voices(held_out=True), takes=1, seed=1)
        t_data = time.time() - t0
        model = build("m5", torch_generator(0), num_classes=len(words))
        loss = train(model, x_train, y_train, epochs)
        acc = accuracy(model, x_test, y_test)
        samples = write_samples(words)
    path = save_shipped(
        model.eval(),
        "m5_spoken_digits.safetensors",
        {
            "model": "m5",
            "recipe": "spoken_digits",
            "dataset": (
                f"espeak-ng {espeak_version()} saying {words[0]}…{words[-1]}: {len(x_train)} clips from "
                f"{len(voices(False))} voices for training; {len(x_test)} clips from {len(voices(True))} held-out voices "
                f"(accent {', '.join(HELD_OUT_ACCENTS)} or variant {', '.join(HELD_OUT_VARIANTS)}) for evaluation"
            ),
            "metric": {"held-out-voice accuracy %": round(acc, 2), "final train loss": round(loss, 4)},
            "seconds": round(time.time() - t0, 1),
            "synthesis seconds": round(t_data, 1),
            "config": {"num_classes": len(words)},
            "epochs": epochs,
            "samples": [p.name for p in samples],
        },
    )
    return manifest()[path.name]
