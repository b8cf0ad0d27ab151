"""Speech and audio models on spoken digits: espeak-ng saying "zero" … "nine" (only where espeak-ng is installed).

Every dataset here reads the clips of `zoo.learn.datasets.spoken_digits` — one second at 8 kHz, peak 1, each word
spoken by many espeak-ng voices (accent × voice variant), the voices of held-out accents and variants never heard
in training (`zoo.train.spoken_digits.voices`) — and asks a different question of them:

| dataset                | models                                  | objective                                          |
|------------------------|-----------------------------------------|----------------------------------------------------|
| spoken_words_ctc       | deepspeech2 (wav2vec2_base: no plan yet)| CTC over the word's letters (Graves et al. 2006)   |
| spoken_words_rnnt      | (conformer_s: no plan yet)              | RNN-T over the word's letters (Graves 2012)        |
| spoken_words_seq2seq   | whisper_tiny                            | teacher-forced next-letter cross-entropy           |
| spoken_words_tts       | tacotron2                               | letters → mel frames (Shen et al. 2018, §2.3)      |
| spoken_digit_pairs     | (crnn_audio_tagging: no plan yet)       | multi-label tagging with binary cross-entropy      |
| spoken_digits_mulaw    | wavenet                                 | next µ-law sample (van den Oord et al. 2016, §2.2) |

Recognisers spell the word they hear in capitals over Deep Speech 2's 29 symbols (CTC blank, apostrophe, A–Z,
space; Whisper: A–Z with start and end tokens) and are scored by *word accuracy* on the held-out voices: the
share of clips whose greedy decoding is exactly the word (and the character error rate, edit distance over
letters). A spelled word is a transcript, not a class index: the models learn the letters and their order, with
no idea that only ten words exist.

- CTC (Graves et al. 2006, eq. 14): −log Σ over every frame-level path that collapses (repeats merged, blanks
  removed) to the transcript; `F.ctc_loss`. Greedy decoding keeps the best symbol per frame and collapses it.
- RNN-T (Graves 2012, §2): the Conformer as published is a transducer; its joint network scores every (frame,
  letters-so-far) pair and the loss sums over every monotone path through that lattice with the forward
  variables α(t, u) of eq. 16, computed here in plain torch (no torchaudio). Decoding: the model's own greedy
  search.
- Whisper: the decoder reads ⟨start⟩ + letters and predicts letters + ⟨end⟩ (teacher forcing, §2.2);
  decoding is greedy, one letter at a time, until ⟨end⟩.
- Tacotron 2 (§2.3): the summed mean squared error of the mel frames before and after the post-net plus the
  stop token's binary cross-entropy, teacher-forced. Held-out metric: the post-net output's mean squared error
  against the held-out voices' frames (teacher-forced, a fixed dropout draw), lower better.
- CRNN: two different digits of one voice back to back (2 s); the tags are which digits occur. Metric: mean
  average precision over the ten tags on fixed held-out pairs (micro-F1 at 0.5 too).
- WaveNet: 8-bit µ-law levels of 512-sample windows around the word; the loss is the next level's
  cross-entropy; the metric is its held-out value in bits per sample (lower better; 8 is a uniform guess).

Inputs: log-mel spectrograms from `zoo.audio.features` at 8 kHz (25 ms windows every 10 ms, 40 bands, as the
spoken-digit demo draws them; the CRNN's 96 bands over 64 ms windows; Tacotron's 50 ms every 12.5 ms, the
paper's), each recogniser's utterance normalised to zero mean and unit variance (as deepspeech.pytorch does);
wav2vec 2.0 reads the waveform. What is reduced, model by model, is in each plan's reductions: smaller widths
and depths so that a run takes a minute or two on one CPU thread, 8 kHz audio instead of 16 kHz, 40 mel bands
(Deep Speech 2: instead of 161 linear-spectrogram bins). wav2vec 2.0 is trained from random weights with a CTC
head, WITHOUT its self-supervised pre-training (the paper's point: §3, contrastive pre-training on unlabelled
audio, then fine-tuning), so it is a plain CNN + Transformer CTC recogniser here. Whisper gets a letter
vocabulary instead of its byte-level BPE and one second of audio instead of thirty.

The Conformer transducer, wav2vec 2.0 and the CRNN tagger train here (their losses fall) but were not seen to beat the untrained
model's word accuracy clearly within a couple of CPU minutes, so `NOT_YET` keeps their plans without offering them.
"""

from __future__ import annotations

import functools
import math
import shutil
import threading

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...rng import drawing_from, numpy_generator, torch_generator
from ..datasets import SPLIT_SEED, SPOKEN_WORDS, DatasetInfo, TrainData, _spoken_digits
from ..plans import TrainPlan, _r

SAMPLE_RATE = 8_000
ASR_MEL = {"n_fft": 200, "hop": 80, "n_mels": 40}  # 25 ms every 10 ms: the spoken-digit demo's picture
TTS_MEL = {"n_fft": 400, "hop": 100, "n_mels": 40}  # 50 ms every 12.5 ms: Shen et al. 2018, §2.1
TAG_MEL = {"n_fft": 512, "hop": 160, "n_mels": 96}  # the CRNN's 96 bands; 64 ms windows (no band empty), 20 ms hop
MEL_FLOOR = 1e-4  # power floor before the log: zero-padded silence would otherwise sit at log(1e-10) = −23
LETTERS = "_'ABCDEFGHIJKLMNOPQRSTUVWXYZ "  # Deep Speech 2's 29 symbols; index 0 is the CTC / RNN-T blank
WHISPER_TOKENS = ("<|endoftext|>", "<|startoftranscript|>", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
EOT, SOT = 0, 1
MAX_LETTERS = max(map(len, SPOKEN_WORDS))  # 5
TTS_FRAMES = 48  # 0.6 s from the word's onset: every word's sound fits (the longest ≈ 0.56 s)
PAIR_SECONDS = 2
WAVE_WINDOW = 512  # samples of one WaveNet example (64 ms), plus one to predict
HELD_OUT_WINDOWS = 256  # held-out clips WaveNet's NLL is measured on (the first ones, fixed)


def _available() -> bool:
    return shutil.which("espeak-ng") is not None


def _clips(max_voices: int | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, 8000) training and held-out waveforms with their word indices; synthesised once per process."""
    if not _available():
        raise RuntimeError("the spoken-digit datasets need espeak-ng (apt-get install espeak-ng)")
    x_tr, y_tr, x_va, y_va = _spoken_digits(max_voices)
    return x_tr[:, 0], y_tr, x_va[:, 0], y_va


@functools.lru_cache(maxsize=8)
def _log_mels(max_voices: int | None, n_fft: int, hop: int, n_mels: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, frames, n_mels) natural-log mel power of every training and held-out clip."""
    from zoo.audio.features import log_mel_spectrogram

    x_tr, _, x_va, _ = _clips(max_voices)
    mel = lambda x: torch.cat([log_mel_spectrogram(c, SAMPLE_RATE, n_fft, hop, n_mels, eps=MEL_FLOOR) for c in x.split(256)])
    return mel(x_tr), mel(x_va)


def _standardised(x: torch.Tensor) -> torch.Tensor:
    """Each utterance to zero mean, unit variance over all its values (deepspeech.pytorch's normalisation)."""
    dims = tuple(range(1, x.dim()))
    return (x - x.mean(dims, keepdim=True)) / (x.std(dims, keepdim=True) + 1e-5)


def _edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _word_scores(hyps: list[str], words: list[str]) -> dict[str, float]:
    correct = sum(h == w for h, w in zip(hyps, words))
    errors = sum(_edit_distance(h, w) for h, w in zip(hyps, words))
    return {"word_accuracy": correct / len(words), "char_error_rate": errors / sum(map(len, words))}


def _cancelled(cancel: threading.Event | None) -> bool:
    return cancel is not None and cancel.is_set()


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


# ------------------------------------------------------------------------------------------------- recognition

CTC_INFO = DatasetInfo(
    "spoken_words_ctc", "speech_recognition",
    "espeak-ng saying zero…nine in 8 accents × many voice variants (1 s at 8 kHz), transcribed letter by letter; "
    "voices never heard in training held out", "word_accuracy", True, percent=True)
RNNT_INFO = DatasetInfo(
    "spoken_words_rnnt", "speech_recognition",
    "espeak-ng saying zero…nine in 8 accents × many voice variants (1 s at 8 kHz), transcribed letter by letter "
    "by a transducer; voices never heard in training held out", "word_accuracy", True, percent=True)
SEQ2SEQ_INFO = DatasetInfo(
    "spoken_words_seq2seq", "speech_recognition",
    "espeak-ng saying zero…nine in 8 accents × many voice variants (1 s at 8 kHz), written out letter by letter "
    "by an encoder–decoder; voices never heard in training held out", "word_accuracy", True, percent=True)

INPUTS = ("spectrogram", "log_mel", "log_mel_channels", "wave")  # (B,1,F,T) Deep Speech 2, (B,T,F), (B,F,T), (B,S)


class SpokenWords(TrainData):
    """Clips and the letters of their words. `model_input` is the form the model reads (see INPUTS);
    `objective` one of "ctc", "rnnt", "seq2seq". A batch is (inputs, word indices)."""

    def __init__(self, info: DatasetInfo, objective: str, model_input: str, max_voices: int | None = None):
        if model_input not in INPUTS:
            raise ValueError(f"model_input must be one of {INPUTS}")
        self.info, self.objective, self.model_input, self.max_voices = info, objective, model_input, max_voices
        # letters as symbol ids, padded with blank / end-of-text (never read past a word's length)
        if objective == "seq2seq":
            ids = [[SOT] + [WHISPER_TOKENS.index(c) for c in w.upper()] + [EOT] * (MAX_LETTERS + 1 - len(w)) for w in SPOKEN_WORDS]
        else:
            ids = [[LETTERS.index(c) for c in w.upper()] + [0] * (MAX_LETTERS - len(w)) for w in SPOKEN_WORDS]
        self.word_ids = torch.tensor(ids)
        self.word_lengths = torch.tensor([len(w) for w in SPOKEN_WORDS])

    def _inputs(self, held_out: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, word indices) of a split: synthesised on first use, so building the dataset costs nothing."""
        x_tr, y_tr, x_va, y_va = _clips(self.max_voices)
        if self.model_input == "wave":
            return _standardised(x_va if held_out else x_tr), (y_va if held_out else y_tr)
        m_tr, m_va = _log_mels(self.max_voices, **ASR_MEL)
        x = _standardised(m_va if held_out else m_tr)  # (N, T, F)
        if self.model_input == "spectrogram":
            x = x.transpose(1, 2)[:, None]
        elif self.model_input == "log_mel_channels":
            x = x.transpose(1, 2)
        return x, (y_va if held_out else y_tr)

    def __len__(self) -> int:
        return len(_clips(self.max_voices)[1])

    def batch(self, indices, device="cpu"):
        x, y = self._inputs(False)
        return x[indices].to(device), y[indices].to(device)

    def loss(self, model, batch):
        x, words = batch
        targets = self.word_ids.to(x.device)[words]
        lengths = self.word_lengths.to(x.device)[words]
        if self.objective == "ctc":
            log_probs = model(x).float().log_softmax(-1)  # (B, T, 29)
            frames = torch.full((len(x),), log_probs.shape[1], dtype=torch.long)
            return F.ctc_loss(log_probs.transpose(0, 1), targets, frames, lengths, blank=0, zero_infinity=True)
        if self.objective == "rnnt":
            logits = model(x, targets)  # (B, T, U + 1, 29)
            return transducer_loss(logits.float(), targets, lengths).mean()
        logits = model(x, targets[:, :-1]).float()  # (B, U, vocab): letters and end-of-text after ⟨start⟩
        gold = targets[:, 1:].clone()
        gold[torch.arange(gold.shape[1], device=x.device)[None] > lengths[:, None]] = -100  # only the first ⟨end⟩ counts
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), gold.reshape(-1), ignore_index=-100)

    def _decode(self, model, x: torch.Tensor) -> list[str]:
        if self.objective == "ctc":
            from zoo.audio.deepspeech2 import greedy_ctc_decode

            return greedy_ctc_decode(model(x).float(), LETTERS)
        if self.objective == "rnnt":
            return ["".join(LETTERS[s] for s in hyp) for hyp in transducer_greedy(model, x)]
        tokens = torch.full((len(x), 1), SOT, dtype=torch.long, device=x.device)
        audio = model.encoder(x)  # once; the decoder re-reads it at every step
        for _ in range(MAX_LETTERS + 1):
            tokens = torch.cat([tokens, model.decoder(tokens, audio)[:, -1].argmax(-1, keepdim=True)], 1)
        words = []
        for row in tokens[:, 1:].tolist():
            row = row[: row.index(EOT)] if EOT in row else row
            words.append("".join(WHISPER_TOKENS[t] if t > SOT else "?" for t in row))
        return words

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 128):
        model.eval()
        device = _device(model)
        x, y = self._inputs(True)
        hyps: list[str] = []
        for i in range(0, len(y), batch_size):
            if _cancelled(cancel):
                return None
            hyps += self._decode(model, x[i : i + batch_size].to(device))
        return _word_scores(hyps, [SPOKEN_WORDS[int(k)].upper() for k in y])


def transducer_loss(logits: torch.Tensor, targets: torch.Tensor, lengths: torch.Tensor, blank: int = 0) -> torch.Tensor:
    """RNN-T negative log-likelihood per utterance (Graves 2012, eqs. 16–17), in plain torch.

    logits (B, T, U + 1, V) from the joint network; targets (B, U) padded symbol ids; lengths (B,) of each
    transcript. α(t, u) = logaddexp(α(t − 1, u) + ∅(t − 1, u), α(t, u − 1) + y(t, u − 1)) with α(0, 0) = 0, and
    −log p(y | x) = −(α(T − 1, U_b) + ∅(T − 1, U_b)). The lattice here is ≈ 25 × 6, so the double loop is cheap."""
    log_probs = logits.log_softmax(-1)
    b, t_max, u1, _ = log_probs.shape
    blank_lp = log_probs[..., blank]  # (B, T, U + 1): emit nothing, move to the next frame
    emit_lp = log_probs[:, :, :-1].gather(-1, targets[:, None, :, None].expand(b, t_max, u1 - 1, 1))[..., 0]  # (B, T, U)
    alpha: list[list[torch.Tensor]] = []
    for t in range(t_max):
        row: list[torch.Tensor] = []
        for u in range(u1):
            if t == 0 and u == 0:
                row.append(log_probs.new_zeros(b))
                continue
            paths = []
            if t > 0:
                paths.append(alpha[t - 1][u] + blank_lp[:, t - 1, u])
            if u > 0:
                paths.append(row[u - 1] + emit_lp[:, t, u - 1])
            row.append(paths[0] if len(paths) == 1 else torch.logaddexp(*paths))
        alpha.append(row)
    last = torch.stack(alpha[-1], 1)  # (B, U + 1)
    return -(last.gather(1, lengths[:, None])[:, 0] + blank_lp[:, -1].gather(1, lengths[:, None])[:, 0])


def transducer_greedy(model: nn.Module, features: torch.Tensor, max_symbols_per_frame: int = MAX_LETTERS) -> list[list[int]]:
    """The Conformer's own greedy search (`Conformer.greedy_decode`: at each frame, emit symbols until the joint
    network says blank), run for the whole batch at once: an utterance that emits updates its label context,
    the others keep theirs."""
    frames = model.encoder(features)  # (B, T', d)
    b, blank = len(frames), model.cfg.blank
    context, (h, c) = model.predict(torch.full((b, 1), blank, device=frames.device))
    hyps: list[list[int]] = [[] for _ in range(b)]
    for t in range(frames.shape[1]):
        active = torch.ones(b, dtype=torch.bool, device=frames.device)
        for _ in range(max_symbols_per_frame):
            symbol = model.joint(frames[:, t : t + 1], context)[:, 0, 0].argmax(-1)  # (B,)
            active &= symbol != blank
            if not active.any():
                break
            new_context, (new_h, new_c) = model.predict(symbol[:, None], (h, c))
            keep = active[:, None]
            context = torch.where(keep[:, :, None], new_context, context)
            h, c = torch.where(keep[None], new_h, h), torch.where(keep[None], new_c, c)
            for i in active.nonzero()[:, 0].tolist():
                hyps[i].append(int(symbol[i]))
    return hyps


def spoken_words_ctc(model_input: str = "spectrogram", max_voices: int | None = None) -> SpokenWords:
    return SpokenWords(CTC_INFO, "ctc", model_input, max_voices)


def spoken_words_rnnt(max_voices: int | None = None) -> SpokenWords:
    return SpokenWords(RNNT_INFO, "rnnt", "log_mel", max_voices)


def spoken_words_seq2seq(max_voices: int | None = None) -> SpokenWords:
    return SpokenWords(SEQ2SEQ_INFO, "seq2seq", "log_mel_channels", max_voices)


class Wav2Vec2CTC(nn.Module):
    """wav2vec 2.0 with the linear CTC head its fine-tuning adds on the context vectors (Baevski et al. 2020, §4):
    (B, samples) → (B, T, 29) letter scores."""

    def __init__(self, wav2vec2: nn.Module, symbols: int = len(LETTERS)):
        super().__init__()
        self.wav2vec2 = wav2vec2
        self.ctc_head = nn.Linear(wav2vec2.cfg.d_model, symbols)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.ctc_head(self.wav2vec2(wave))


def wav2vec2_ctc(plan: TrainPlan, generator: torch.Generator, **overrides) -> nn.Module:
    import zoo

    return Wav2Vec2CTC(zoo.create_model(plan.key, **{**plan.overrides, **overrides}))


# ----------------------------------------------------------------------------------------------- text to speech

TTS_INFO = DatasetInfo(
    "spoken_words_tts", "text_to_speech",
    "the letters of zero…nine and espeak-ng's log-mel frames of them (40 bands, 12.5 ms hop, 0.6 s from the word's "
    "onset), in 8 accents × many voice variants; voices never heard in training held out", "mel_mse", False)


def _text_ids(word: str) -> list[int]:
    from zoo.audio.tacotron2 import CHARACTERS

    return [CHARACTERS.index(c) for c in word] + [0] * (MAX_LETTERS - len(word))  # "_" (0) pads the short words


@functools.lru_cache(maxsize=2)
def _tts_targets(max_voices: int | None) -> tuple[torch.Tensor, ...]:
    """(N, 40, TTS_FRAMES) log-mel frames from each word's onset, and (N, TTS_FRAMES) stop targets (1 from the
    frame after the word's last sounding frame), for both splits."""
    out = []
    for mel in _log_mels(max_voices, **TTS_MEL):
        energy = mel.exp().sum(-1)  # (N, frames)
        sounding = 10 * torch.log10(energy / energy.amax(1, keepdim=True)) > -40  # within 40 dB of the loudest
        frames = torch.arange(mel.shape[1])
        first = torch.where(sounding, frames, mel.shape[1]).amin(1).clamp(min=1) - 1
        last = torch.where(sounding, frames, -1).amax(1)
        idx = (first[:, None] + torch.arange(TTS_FRAMES)).clamp(max=mel.shape[1] - 1)
        floor = torch.full_like(mel[:, :1], float(np.log(MEL_FLOOR)))
        padded = torch.cat([mel, floor], 1)  # frames past the clip's end are silence
        idx = torch.where(first[:, None] + torch.arange(TTS_FRAMES) < mel.shape[1], idx, mel.shape[1])
        target = padded.gather(1, idx[..., None].expand(-1, -1, mel.shape[2])).transpose(1, 2)  # (N, 40, frames)
        stop = (torch.arange(TTS_FRAMES)[None] > (last - first)[:, None]).float()
        out += [target.contiguous(), stop]
    return tuple(out)


class SpokenWordsTTS(TrainData):
    """(letter ids, mel frames, stop targets); `model(text, mels)` is Tacotron 2's teacher-forced forward."""

    info = TTS_INFO

    def __init__(self, max_voices: int | None = None):
        self.max_voices = max_voices
        self.text = torch.tensor([_text_ids(w) for w in SPOKEN_WORDS])

    def __len__(self) -> int:
        return len(_clips(self.max_voices)[1])

    def _split(self, held_out: bool):
        m_tr, s_tr, m_va, s_va = _tts_targets(self.max_voices)
        _, y_tr, _, y_va = _clips(self.max_voices)
        return (m_va, s_va, y_va) if held_out else (m_tr, s_tr, y_tr)

    def batch(self, indices, device="cpu"):
        mel, stop, y = self._split(False)
        return self.text[y[indices]].to(device), mel[indices].to(device), stop[indices].to(device)

    @staticmethod
    def _terms(out, mel: torch.Tensor, stop: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (F.mse_loss(out.mel_postnet.float(), mel), F.mse_loss(out.mel.float(), mel),
                F.binary_cross_entropy_with_logits(out.stop_logits.float(), stop))

    def loss(self, model, batch):
        text, mel, stop = batch
        after, before, stop_loss = self._terms(model(text, mel), mel, stop)
        return after + before + stop_loss  # §2.3: summed MSE before and after the post-net, plus the stop token

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 256):
        model.eval()
        device = _device(model)
        mel, stop, y = self._split(True)
        totals = np.zeros(3)
        # the pre-net keeps its dropout at inference (§2.2): one fixed draw makes the metric repeatable
        with drawing_from(torch_generator(SPLIT_SEED)):
            for i in range(0, len(y), batch_size):
                if _cancelled(cancel):
                    return None
                sl = slice(i, i + batch_size)
                out = model(self.text[y[sl]].to(device), mel[sl].to(device))
                totals += [float(t) * len(y[sl]) for t in self._terms(out, mel[sl].to(device), stop[sl].to(device))]
        after, before, stop_loss = (float(v) for v in totals / len(y))
        return {"mel_mse": after, "mel_mse_before_postnet": before, "stop_bce": stop_loss}

    @torch.no_grad()
    def samples(self, model) -> np.ndarray:
        """Four held-out words: the voice's true mel frames (top) above what the model says from the letters
        alone (free-running, its own frames fed back; bottom)."""
        model.eval()
        device = _device(model)
        mel, _, y = self._split(True)
        picks = [int((y == k).nonzero()[0]) for k in (0, 3, 7, 9)]
        columns = []
        with drawing_from(torch_generator(SPLIT_SEED)):
            for i in picks:
                made = model.infer(self.text[y[i : i + 1]].to(device), max_frames=TTS_FRAMES).mel_postnet[0].cpu()
                made = F.pad(made, (0, TTS_FRAMES - made.shape[1]), value=float(np.log(MEL_FLOOR)))
                columns.append(torch.cat([mel[i], torch.full((2, TTS_FRAMES), float("nan")), made], 0))
        return _picture(columns)


VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64)


def _colour(norm: np.ndarray) -> np.ndarray:
    """Values in [0, 1] → RGB along five anchors of viridis (dark blue = quiet, yellow = loud)."""
    at = np.linspace(0, 1, len(VIRIDIS))
    return np.stack([np.interp(norm, at, VIRIDIS[:, c]) for c in range(3)], -1).astype(np.uint8)


def _picture(columns: list[torch.Tensor]) -> np.ndarray:
    """Spectrograms (bands, frames) side by side, low bands at the bottom, as an (H, W, 3) uint8 image."""
    gap = torch.full((columns[0].shape[0], 3), float("nan"))
    grid = torch.cat([c for col in columns for c in (col, gap)][:-1], 1).flip(0)  # (H, W)
    finite = grid[grid.isfinite()]
    lo, hi = float(finite.quantile(0.02)), float(finite.max())
    norm = ((grid - lo) / max(hi - lo, 1e-6)).clamp(0, 1)
    rgb = _colour(norm.nan_to_num(0).numpy())
    rgb[~grid.isfinite().numpy()] = 255
    scale = 3
    return np.repeat(np.repeat(rgb, scale, 0), scale, 1)


# -------------------------------------------------------------------------------------------------------- tagging

PAIRS_INFO = DatasetInfo(
    "spoken_digit_pairs", "audio_tagging",
    "two different digits said back to back by one espeak-ng voice (2 s at 8 kHz, 96-band log-mel); the tags are "
    "which digits occur; fixed pairs of voices never heard in training held out", "mean_average_precision", True,
    percent=True)


def _partners(labels: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """For each clip, another clip of the same voice saying a different digit. `synthesize` keeps each voice's
    ten words together (one espeak-ng call each), so a voice is a block of 10 consecutive clips."""
    n = len(labels)
    block = torch.arange(n) // len(SPOKEN_WORDS) * len(SPOKEN_WORDS)
    step = torch.from_numpy(rng.integers(1, len(SPOKEN_WORDS), n))  # never 0: never the clip itself
    return (block + (torch.arange(n) - block + step) % len(SPOKEN_WORDS)).clamp(max=n - 1)


class SpokenDigitPairs(TrainData):
    """Batches are (log-mel (B, 96, frames), tags (B, 10)); `model(mel)` gives tag probabilities."""

    info = PAIRS_INFO

    def __init__(self, max_voices: int | None = None):
        self.max_voices = max_voices
        self.begin(0)

    def begin(self, seed: int, rank: int = 0) -> None:
        self.rng = numpy_generator(seed * 1000 + rank)  # partners and order of the training pairs

    def __len__(self) -> int:
        return len(_clips(self.max_voices)[1])

    def _pairs(self, mel: torch.Tensor, y: torch.Tensor, first: torch.Tensor, second: torch.Tensor):
        x = torch.cat([mel[first], mel[second]], 1).transpose(1, 2)  # (B, 96, 2 × 101 frames)
        tags = F.one_hot(y[first], len(SPOKEN_WORDS)) + F.one_hot(y[second], len(SPOKEN_WORDS))
        return x.contiguous(), tags.float()

    def batch(self, indices, device="cpu"):
        mel, _ = _log_mels(self.max_voices, **TAG_MEL)
        y = _clips(self.max_voices)[1]
        second = _partners(y, self.rng)[indices]
        x, tags = self._pairs(mel, y, indices, second)
        return x.to(device), tags.to(device)

    def loss(self, model, batch):
        x, tags = batch
        return F.binary_cross_entropy(model(x).float().clamp(1e-6, 1 - 1e-6), tags)

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 256):
        model.eval()
        device = _device(model)
        _, mel = _log_mels(self.max_voices, **TAG_MEL)
        y = _clips(self.max_voices)[3]
        second = _partners(y, numpy_generator(SPLIT_SEED))
        scores, truth = [], []
        for i in range(0, len(y), batch_size):
            if _cancelled(cancel):
                return None
            first = torch.arange(i, min(i + batch_size, len(y)))
            x, tags = self._pairs(mel, y, first, second[first])
            scores.append(model(x.to(device)).float().cpu())
            truth.append(tags)
        return tag_scores(torch.cat(scores), torch.cat(truth))


def tag_scores(scores: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
    """Mean over tags of the average precision (the mean of the precision at each true clip's rank), and
    micro-averaged F1 of the tags with probability > 0.5."""
    aps = []
    for k in range(truth.shape[1]):
        order = scores[:, k].argsort(descending=True)
        hits = truth[order, k]
        precision = hits.cumsum(0) / torch.arange(1, len(hits) + 1)
        aps.append(float((precision * hits).sum() / hits.sum().clamp(min=1)))
    predicted = scores > 0.5
    tp = float((predicted & (truth > 0)).sum())
    f1 = 2 * tp / max(float(predicted.sum()) + float(truth.sum()), 1.0)
    return {"mean_average_precision": float(np.mean(aps)), "micro_f1": f1}


# ------------------------------------------------------------------------------------------------------ waveform

MULAW_INFO = DatasetInfo(
    "spoken_digits_mulaw", "audio_generation",
    "espeak-ng saying zero…nine in 8 accents × many voice variants at 8 kHz as 8-bit µ-law samples, 512-sample "
    "windows around each word; voices never heard in training held out", "bits_per_sample", False)


class SpokenDigitsMuLaw(TrainData):
    """Batches are (B, WAVE_WINDOW + 1) µ-law levels; `model(levels[:, :-1])` scores each next level. A
    training window starts at a random place (the data's own generator) within ±50 ms of where the held-out ones do, so
    that both are mostly speech (silence, exact zeros after `prepare`, costs almost nothing to predict)."""

    info = MULAW_INFO

    def __init__(self, max_voices: int | None = None):
        self.max_voices = max_voices
        self.begin(0)

    def begin(self, seed: int, rank: int = 0) -> None:
        self.rng = numpy_generator(seed * 1000 + rank)

    def __len__(self) -> int:
        return len(_clips(self.max_voices)[1])

    @staticmethod
    def _windows(wave: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        from zoo.audio.wavenet import mu_law_encode

        return mu_law_encode(wave[torch.arange(len(wave))[:, None], starts[:, None] + torch.arange(WAVE_WINDOW + 1)])

    def batch(self, indices, device="cpu"):
        wave = _clips(self.max_voices)[0][indices]
        centre = (SAMPLE_RATE - WAVE_WINDOW) // 2  # speech_window centres each word's energy in its second
        starts = torch.from_numpy(centre + self.rng.integers(-SAMPLE_RATE // 20, SAMPLE_RATE // 20 + 1, len(wave)))
        return self._windows(wave, starts).to(device)

    def _nll(self, model, levels: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        logits = model(levels[:, :-1]).float()  # (B, 256, T): position t scores level t + 1
        return F.cross_entropy(logits, levels[:, 1:], reduction=reduction)

    def loss(self, model, batch):
        return self._nll(model, batch)

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 32):
        model.eval()
        device = _device(model)
        wave = _clips(self.max_voices)[2][:HELD_OUT_WINDOWS]
        levels = self._windows(wave, torch.full((len(wave),), (SAMPLE_RATE - WAVE_WINDOW) // 2))
        total = 0.0
        for i in range(0, len(levels), batch_size):
            if _cancelled(cancel):
                return None
            total += float(self._nll(model, levels[i : i + batch_size].to(device), reduction="sum"))
        nats = total / (len(levels) * WAVE_WINDOW)
        return {"bits_per_sample": nats / math.log(2), "loss": nats}


DATASETS = {
    "spoken_words_ctc": (CTC_INFO, spoken_words_ctc),
    "spoken_words_rnnt": (RNNT_INFO, spoken_words_rnnt),
    "spoken_words_seq2seq": (SEQ2SEQ_INFO, spoken_words_seq2seq),
    "spoken_words_tts": (TTS_INFO, SpokenWordsTTS),
    "spoken_digit_pairs": (PAIRS_INFO, SpokenDigitPairs),
    "spoken_digits_mulaw": (MULAW_INFO, SpokenDigitsMuLaw),
}

# ------------------------------------------------------------------------------------------------------- plans

REDUCTIONS = {
    "speech_8khz": "8 kHz audio, one second per word (published {published})",
    "speech_log_mel": "{bands} log-mel bands (published {published})",
    "speech_letters": "spells the word in capital letters A–Z ({symbols} symbols with blank or start/end)",
    "speech_no_pretraining": "trained from random weights with a CTC head, without self-supervised pre-training",
    "speech_conv": "feature encoder {channels} channels, strides {strides} (published 512, 5,2,2,2,2,2,2)",
    "speech_decoder": "recurrent decoder {decoder} units, attention {attention} (published 1024, 128)",
    "speech_text_pad": "words padded to 5 letters with the padding symbol (no attention mask)",
    "speech_tags": "{tags} tags: which digits were said",
    "speech_wavenet": "{layers} dilated layers, receptive field {field} samples (published 20 layers, 2,048)",
}


def plans(key: str, card, config) -> list[TrainPlan]:
    if not _available() or key not in SPEECH_KEYS:
        return []
    cfg = config()
    if cfg is None:
        return []
    return [SPEECH_KEYS[key](key, cfg)]


def _deepspeech2(key: str, cfg) -> TrainPlan:
    over = {"n_freq": ASR_MEL["n_mels"], "conv_channels": 8, "rnn_layers": 2, "rnn_hidden": 128}
    red = (_r("speech_8khz", published="16 kHz"), _r("speech_log_mel", bands=ASR_MEL["n_mels"], published="161 spectrogram bins"),
           _r("width", factor=0.25), _r("layers", layers=2, published=cfg.rnn_layers),
           _r("model_width", width=128, published=cfg.rnn_hidden))
    return TrainPlan(key, "spoken_words_ctc", {"model_input": "spectrogram"}, over, red,
                     {"epochs": 10_000, "max_steps": 400, "batch_size": 32, "optimizer": "adamw", "lr": 2e-3,
                      "schedule": "onecycle", "clip_norm": 5.0})


def _conformer(key: str, cfg) -> TrainPlan:
    over = {"n_mels": ASR_MEL["n_mels"], "d_model": 64, "n_layers": 4, "n_heads": 4, "vocab_size": len(LETTERS),
            "decoder_dim": 64, "joint_dim": 64}
    red = (_r("speech_8khz", published="16 kHz"), _r("speech_log_mel", bands=ASR_MEL["n_mels"], published=cfg.n_mels),
           _r("speech_letters", symbols=len(LETTERS)), _r("layers", layers=4, published=cfg.n_layers),
           _r("model_width", width=64, published=cfg.d_model))
    return TrainPlan(key, "spoken_words_rnnt", {}, over, red,
                     {"epochs": 10_000, "max_steps": 300, "batch_size": 32, "optimizer": "adamw", "lr": 2e-3,
                      "schedule": "onecycle", "clip_norm": 5.0})


def _wav2vec2(key: str, cfg) -> TrainPlan:
    strides = (5, 2, 2, 2, 2, 2, 1)  # 160 samples: 20 ms frames at 8 kHz, the paper's frame rate
    over = {"conv_dim": 64, "conv_strides": strides, "d_model": 96, "n_layers": 3, "n_heads": 4, "d_ff": 384,
            "pos_kernel": 16, "pos_groups": 4}
    red = (_r("speech_no_pretraining"), _r("speech_8khz", published="16 kHz"),
           _r("speech_conv", channels=64, strides=",".join(map(str, strides))),
           _r("layers", layers=3, published=cfg.n_layers), _r("model_width", width=96, published=cfg.d_model))
    return TrainPlan(key, "spoken_words_ctc", {"model_input": "wave"}, over, red,
                     {"epochs": 10_000, "max_steps": 600, "batch_size": 32, "optimizer": "adamw", "lr": 1e-3,
                      "schedule": "onecycle", "clip_norm": 5.0, "eval_every": 200},
                     builder="zoo.learn.tasks.speech:wav2vec2_ctc")


def _whisper(key: str, cfg) -> TrainPlan:
    frames = SAMPLE_RATE // ASR_MEL["hop"] + 1  # 101 log-mel frames → 51 after the stride-2 convolution
    over = {"n_mels": ASR_MEL["n_mels"], "n_audio_ctx": (frames + 1) // 2, "n_text_ctx": MAX_LETTERS + 2,
            "d_model": 128, "n_heads": 4, "n_audio_layers": 2, "n_text_layers": 2, "vocab_size": len(WHISPER_TOKENS)}
    red = (_r("speech_8khz", published="30 s at 16 kHz"), _r("speech_log_mel", bands=ASR_MEL["n_mels"], published=cfg.n_mels),
           _r("speech_letters", symbols=len(WHISPER_TOKENS)),
           _r("layers", layers="2 + 2", published=f"{cfg.n_audio_layers} + {cfg.n_text_layers}"),
           _r("model_width", width=128, published=cfg.d_model))
    return TrainPlan(key, "spoken_words_seq2seq", {}, over, red,
                     {"epochs": 10_000, "max_steps": 300, "batch_size": 32, "optimizer": "adamw", "lr": 1e-3,
                      "schedule": "onecycle", "clip_norm": 1.0})


def _tacotron2(key: str, cfg) -> TrainPlan:
    over = {"embedding_dim": 64, "n_mels": TTS_MEL["n_mels"], "prenet_dim": 64, "attention_rnn_dim": 128,
            "decoder_rnn_dim": 128, "attention_dim": 32, "location_filters": 8, "postnet_dim": 64}
    red = (_r("speech_8khz", published="22,050 Hz"), _r("speech_log_mel", bands=TTS_MEL["n_mels"], published=cfg.n_mels),
           _r("speech_decoder", decoder=128, attention=32), _r("model_width", width=64, published=cfg.embedding_dim),
           _r("speech_text_pad"))
    return TrainPlan(key, "spoken_words_tts", {}, over, red,
                     {"epochs": 10_000, "max_steps": 300, "batch_size": 32, "optimizer": "adam", "lr": 2e-3,
                      "schedule": "cosine", "clip_norm": 1.0, "weight_decay": 1e-6})


def _crnn(key: str, cfg) -> TrainPlan:
    over = {"channels": tuple(c // 4 for c in cfg.channels), "num_tags": len(SPOKEN_WORDS)}
    red = (_r("speech_tags", tags=len(SPOKEN_WORDS)), _r("speech_8khz", published="29 s of music at 12 kHz"),
           _r("width", factor=0.25))
    return TrainPlan(key, "spoken_digit_pairs", {}, over, red,
                     {"epochs": 10_000, "max_steps": 300, "batch_size": 32, "optimizer": "adam", "lr": 3e-3,
                      "schedule": "onecycle"})


def _wavenet(key: str, cfg) -> TrainPlan:
    layers = 8
    over = {"residual_channels": 32, "dilation_channels": 32, "skip_channels": 64, "stacks": 1, "layers_per_stack": layers}
    red = (_r("speech_wavenet", layers=layers, field=2**layers), _r("speech_8khz", published="16 kHz"),
           _r("width", factor=0.5))
    return TrainPlan(key, "spoken_digits_mulaw", {}, over, red,
                     {"epochs": 10_000, "max_steps": 400, "batch_size": 16, "optimizer": "adam", "lr": 1e-2,
                      "schedule": "cosine", "clip_norm": 1.0, "eval_every": 200})


SPEECH_KEYS = {"deepspeech2": _deepspeech2, "whisper_tiny": _whisper, "tacotron2": _tacotron2, "wavenet": _wavenet}
# These train (their losses fall; the tests check it) but were not seen to beat the untrained model's word accuracy
# clearly within a couple of CPU minutes, so they offer no plan yet: the Conformer transducer went from a character
# error rate of 30 (endless babble) to 0.8 in 100 steps, still at 2% words; wav2vec 2.0 from random weights, without
# the pre-training it is made for, had not got past CTC's all-blank plateau after 50; the CRNN tagger's loss sat at
# the tags' prior (0.50) for 100 steps, its mean average precision only 0.23 → 0.36.
NOT_YET = {"conformer_s": _conformer, "wav2vec2_base": _wav2vec2, "crnn_audio_tagging": _crnn}
NOT_COVERED = {key: "budget" for key in NOT_YET}  # why `zoo.learn.not_covered()` lists them
