"""Audio front ends in plain torch: log-mel spectrograms and resampling (no torchaudio).

Speech models rarely eat raw samples. Conformer and most ASR encoders take an 80-band log-mel
spectrogram computed over 25 ms windows every 10 ms (n_fft=400, hop=160 at 16 kHz); M5 takes
8 kHz waveforms, so 16 kHz recordings must be resampled first. Both helpers work on any leading
batch shape: `wave` is (..., samples).

Mel scale: HTK, mel(f) = 2595·log10(1 + f/700), with triangular filters of peak 1 (no area
normalisation). Slaney's scale (linear below 1 kHz) would move the band edges slightly; any
model must of course be fed the same scale it was trained on.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def hz_to_mel(f: Tensor | float) -> Tensor:
    return 2595.0 * torch.log10(1.0 + torch.as_tensor(f, dtype=torch.float64) / 700.0)


def mel_to_hz(m: Tensor | float) -> Tensor:
    return 700.0 * (10.0 ** (torch.as_tensor(m, dtype=torch.float64) / 2595.0) - 1.0)


def mel_frequencies(n_mels: int, f_min: float, f_max: float) -> Tensor:
    """The n_mels + 2 band edges in Hz, equally spaced on the mel scale; band k peaks at edge k + 1."""
    return mel_to_hz(torch.linspace(hz_to_mel(f_min).item(), hz_to_mel(f_max).item(), n_mels + 2, dtype=torch.float64))


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0, f_max: float | None = None) -> Tensor:
    """(n_mels, n_fft // 2 + 1) matrix of triangular filters over the STFT's frequency bins."""
    f_max = sample_rate / 2 if f_max is None else f_max
    bins = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)  # Hz of each FFT bin
    edges = mel_frequencies(n_mels, f_min, f_max)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)  # 0 at the lower edge, 1 at the centre
    falling = (upper - bins) / (upper - centre)  # 1 at the centre, 0 at the upper edge
    return torch.clamp(torch.minimum(rising, falling), min=0.0).float()


def log_mel_spectrogram(
    wave: Tensor,
    sample_rate: int,
    n_fft: int = 400,
    hop: int = 160,
    n_mels: int = 80,
    f_min: float = 0.0,
    f_max: float | None = None,
    eps: float = 1e-10,
) -> Tensor:
    """(..., samples) waveform → (..., frames, n_mels) natural-log mel power, frames = 1 + samples // hop.

    Hann window of n_fft samples, centred frames (reflect padding), power spectrum |STFT|².
    """
    lead = wave.shape[:-1]
    x = wave.reshape(-1, wave.shape[-1]).float()
    window = torch.hann_window(n_fft, device=x.device)
    spec = torch.stft(x, n_fft, hop_length=hop, window=window, center=True, pad_mode="reflect", return_complex=True)
    power = spec.abs().pow(2)  # (N, n_fft // 2 + 1, frames)
    fb = mel_filterbank(sample_rate, n_fft, n_mels, f_min, f_max).to(x.device)
    mel = torch.einsum("mf,nft->ntm", fb, power)  # (N, frames, n_mels)
    return torch.log(mel.clamp(min=eps)).reshape(*lead, mel.shape[1], n_mels)


def resample(wave: Tensor, orig_sr: int, new_sr: int, zeros: int = 16, rolloff: float = 0.95) -> Tensor:
    """Band-limited resampling of (..., samples) by a Hann-windowed sinc, evaluated directly.

    Each output sample is a weighted sum of the input samples within `zeros` sinc lobes of it. The
    sinc's cutoff is `rolloff` × the lower of the two Nyquist frequencies, so downsampling removes
    what the new rate cannot represent instead of aliasing it (plain `F.interpolate` does no
    low-pass filtering: fast, but a 6 kHz tone taken to 8 kHz folds back to 2 kHz). The trade-off:
    memory and time grow as output length × 2·zeros/cutoff taps, with no polyphase tricks — fine
    for clips of a few seconds, chunk anything longer.
    """
    if orig_sr == new_sr:
        return wave
    ratio = new_sr / orig_sr
    cutoff = rolloff * min(1.0, ratio)  # in units of the input Nyquist frequency
    half = math.ceil(zeros / cutoff)  # taps on each side, in input samples
    n_in = wave.shape[-1]
    n_out = math.ceil(n_in * ratio)
    t = torch.arange(n_out, dtype=torch.float64, device=wave.device) / ratio  # output times, in input samples
    taps = torch.floor(t)[:, None] + torch.arange(-half + 1, half + 1, device=wave.device)  # (n_out, 2·half)
    dist = t[:, None] - taps  # |dist| < half
    kernel = cutoff * torch.sinc(cutoff * dist) * 0.5 * (1 + torch.cos(math.pi * dist / half))
    padded = torch.nn.functional.pad(wave, (half, half))  # zeros beyond the ends
    gathered = padded[..., (taps + half).long()]  # (..., n_out, 2·half)
    return (gathered * kernel.to(wave.dtype)).sum(-1)
