"""The pure-torch audio front ends (zoo.audio.features) and WaveNet's μ-law companding."""

from __future__ import annotations

import math

import pytest
import torch

from zoo.audio.features import log_mel_spectrogram, mel_filterbank, mel_frequencies, resample
from zoo.audio.wavenet import mu_law_decode, mu_law_encode


def tone(freq: float, sample_rate: int, seconds: float = 1.0) -> torch.Tensor:
    t = torch.arange(int(sample_rate * seconds)) / sample_rate
    return torch.sin(2 * math.pi * freq * t)


def peak_hz(wave: torch.Tensor, sample_rate: int) -> float:
    spectrum = torch.fft.rfft(wave * torch.hann_window(wave.shape[-1])).abs()
    return spectrum.argmax().item() * sample_rate / wave.shape[-1]


def test_log_mel_shapes():
    wave = torch.randn(2, 3, 16000)
    out = log_mel_spectrogram(wave, 16000)
    assert out.shape == (2, 3, 1 + 16000 // 160, 80)
    assert log_mel_spectrogram(torch.randn(8000), 8000, n_mels=40).shape == (1 + 8000 // 160, 40)
    assert torch.isfinite(out).all()


def test_filterbank_is_triangular_and_covers_the_band():
    fb = mel_filterbank(16000, 400, 80)
    assert fb.shape == (80, 201)
    assert fb.min() >= 0 and fb.max() <= 1
    assert (fb.sum(1) > 0).all()  # every band catches at least one FFT bin
    # between the first and last band centres, neighbouring triangles overlap to sum to exactly 1
    edges = mel_frequencies(80, 0.0, 8000.0)
    bins = torch.linspace(0, 8000, 201)
    inner = (bins >= edges[1]) & (bins <= edges[-2])
    assert torch.allclose(fb[:, inner].sum(0), torch.ones(int(inner.sum())), atol=1e-5)
    # and each band peaks (value 1) at its own centre: band k's weights rise then fall
    peaks = fb.argmax(1)
    assert (peaks[1:] >= peaks[:-1]).all()


def test_1khz_sine_peaks_in_the_1khz_band():
    sr = 16000
    mel = log_mel_spectrogram(tone(1000.0, sr), sr).mean(0)  # (80,)
    centres = mel_frequencies(80, 0.0, sr / 2)[1:-1]
    expected = (centres - 1000.0).abs().argmin().item()
    assert mel.argmax().item() == expected
    assert abs(centres[expected].item() - 1000.0) < 40  # the band really is centred near 1 kHz
    # and a quiet band far away is many orders of magnitude below the peak
    assert mel.max() - mel[(centres - 5000.0).abs().argmin()] > 10


def test_log_mel_is_louder_for_louder_input():
    sr = 16000
    quiet, loud = log_mel_spectrogram(0.1 * tone(440.0, sr), sr), log_mel_spectrogram(tone(440.0, sr), sr)
    band = loud.mean(0).argmax()
    # power scales with amplitude²: 10× the amplitude adds ln(100) in the tone's band
    assert torch.allclose(loud[1:-1, band] - quiet[1:-1, band], torch.tensor(math.log(100.0)), atol=1e-3)


@pytest.mark.parametrize("orig_sr,new_sr", [(16000, 8000), (8000, 16000), (44100, 16000), (16000, 22050)])
def test_resample_preserves_tone_frequency(orig_sr, new_sr):
    wave = tone(440.0, orig_sr)
    out = resample(wave, orig_sr, new_sr)
    assert out.shape == (math.ceil(wave.shape[-1] * new_sr / orig_sr),)
    assert abs(peak_hz(out, new_sr) - 440.0) <= 1.5  # one FFT bin at 1 s
    # amplitude preserved away from the edges
    mid = out[len(out) // 4 : 3 * len(out) // 4]
    assert abs(mid.abs().max().item() - 1.0) < 0.02


def test_resample_matches_the_signal_it_resamples():
    sr, new_sr = 16000, 8000
    out = resample(tone(440.0, sr), sr, new_sr)
    ref = tone(440.0, new_sr)
    mid = slice(500, 7500)  # edges see zero padding
    assert (out[mid] - ref[mid]).abs().max() < 1e-2


def test_downsampling_removes_what_the_new_rate_cannot_hold():
    # 6 kHz is above the 4 kHz Nyquist of 8 kHz audio: a low-pass resampler must remove it,
    # not fold it back to 2 kHz as naive decimation would.
    wave = tone(6000.0, 16000)
    assert wave[::2].pow(2).mean() > 0.4  # naive decimation keeps an aliased tone at full power
    out = resample(wave, 16000, 8000)
    assert out[1000:-1000].pow(2).mean() < 1e-3


def test_resample_identity_and_batches():
    wave = torch.randn(3, 2, 1000)
    assert resample(wave, 16000, 16000) is wave
    assert resample(wave, 16000, 8000).shape == (3, 2, 500)


def test_mu_law_round_trip():
    x = torch.linspace(-1, 1, 10001)
    ids = mu_law_encode(x)
    assert ids.dtype == torch.long and ids.min() == 0 and ids.max() == 255
    back = mu_law_decode(ids)
    # companding spends its 256 levels where speech lives: fine steps near 0, coarse near ±1
    small = x.abs() < 1e-3
    assert (back - x)[small].abs().max() < 2e-4
    assert (back - x).abs().max() < 0.04
    assert mu_law_encode(torch.tensor(0.0)).item() in (127, 128)
