"""wav2vec 2.0 — Baevski, Zhou, Mohamed & Auli, "wav2vec 2.0: A Framework for Self-Supervised Learning of
Speech Representations" (NeurIPS 2020). https://arxiv.org/abs/2006.11477

wav2vec 2.0 learns speech representations from raw audio without transcripts, then needs only a little
labelled speech to become a recogniser. Its network has three parts (paper §2, Fig. 1):
1. a **feature encoder** f: X → Z, seven temporal convolutions (512 channels, kernels 10,3,3,3,3,2,2,
   strides 5,2,2,2,2,2,2, GELU) that turn 16 kHz samples into one latent vector z_t every 20 ms (receptive
   field 25 ms). In the BASE model only the first conv is followed by a normalisation: GroupNorm with
   one group per channel, i.e. each channel normalised over time;
2. a **context network** g: Z → C, a Transformer. Latents are LayerNormed and projected to 768-d, and,
   instead of absolute positions, a convolution with kernel 128 and 16 groups, weight-normalised, adds a
   relative positional embedding. Twelve post-LN blocks (768 / 3,072 / 12 heads) follow;
3. a quantiser used only for the pre-training target: a span of latents z_t is replaced by one learned
   vector (`mask_embedding`) before the Transformer, and the network must pick the true quantised latent
   of each masked step among distractors (a contrastive loss).

This file builds the model as fine-tuning and feature extraction use it: feature encoder, projection and
context network, plus the learned mask embedding — Hugging Face's `Wav2Vec2Model` with the
`facebook/wav2vec2-base` config, 94,371,712 parameters. The quantiser and the CTC head of a fine-tuned
recogniser are not part of it. `HF_KEYS` maps the parameter names onto `Wav2Vec2Model`'s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..pretrained import KeyMap, KnownCheckpoint, Layout, PretrainedError, load_mapped, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from ..registry import register_model


@dataclass(frozen=True)
class Wav2Vec2Config:
    conv_dim: int = 512
    conv_kernels: tuple[int, ...] = (10, 3, 3, 3, 3, 2, 2)
    conv_strides: tuple[int, ...] = (5, 2, 2, 2, 2, 2, 2)  # total stride 320 samples = 20 ms at 16 kHz
    d_model: int = 768
    n_layers: int = 12
    n_heads: int = 12
    d_ff: int = 3072
    pos_kernel: int = 128
    pos_groups: int = 16
    dropout: float = 0.1
    norm_eps: float = 1e-5


class FeatureEncoder(nn.Module):
    """Seven strided convolutions over the waveform (§2 "Feature encoder"), no biases; GroupNorm after the first."""

    def __init__(self, cfg: Wav2Vec2Config):
        super().__init__()
        chans = [1] + [cfg.conv_dim] * len(cfg.conv_kernels)
        self.convs = nn.ModuleList(
            nn.Conv1d(chans[i], chans[i + 1], k, stride=s, bias=False)
            for i, (k, s) in enumerate(zip(cfg.conv_kernels, cfg.conv_strides))
        )
        # one group per channel: each channel is normalised over time, which stands in for the waveform
        # normalisation the later (LARGE) models do with LayerNorm in every block
        self.norm = nn.GroupNorm(cfg.conv_dim, cfg.conv_dim, eps=cfg.norm_eps)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        x = wave[:, None]  # (B, 1, samples)
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 0:
                x = self.norm(x)
            x = F.gelu(x)  # (B, 512, frames_i)
        return x.transpose(1, 2)  # (B, T, 512): one latent z_t per 20 ms


class ConvPositionalEmbedding(nn.Module):
    """Relative positions from a grouped convolution over time (after Mohamed et al. 2019).

    Weight normalisation (Salimans & Kingma 2016) along the kernel axis: w[:, :, k] = g_k · v[:, :, k] / ‖v[:, :, k]‖,
    so each of the 128 taps has one learned magnitude g_k and a direction v.
    """

    def __init__(self, cfg: Wav2Vec2Config):
        super().__init__()
        d, k, g = cfg.d_model, cfg.pos_kernel, cfg.pos_groups
        self.groups, self.kernel = g, k
        self.weight_v = nn.Parameter(torch.randn(d, d // g, k) * math.sqrt(2.0 / (k * d // g)))
        self.weight_g = nn.Parameter(self.weight_v.detach().norm(dim=(0, 1), keepdim=True))  # (1, 1, k)
        self.bias = nn.Parameter(torch.zeros(d))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight_g * self.weight_v / self.weight_v.norm(dim=(0, 1), keepdim=True)  # (d, d/g, k)
        y = F.conv1d(x.transpose(1, 2), w, self.bias, padding=self.kernel // 2, groups=self.groups)  # (B, d, T+1)
        if self.kernel % 2 == 0:
            y = y[:, :, :-1]  # an even kernel with padding k/2 gives one frame too many
        return F.gelu(y).transpose(1, 2)  # (B, T, d)


class SelfAttention(nn.Module):
    """Multi-head self-attention with biases on all four projections (fairseq / HF layout)."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.out = (nn.Linear(d, d) for _ in range(4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = (proj(x).view(b, t, self.heads, -1).transpose(1, 2) for proj in (self.q, self.k, self.v))
        y = F.scaled_dot_product_attention(q, k, v)  # (B, h, T, d/h)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class TransformerLayer(nn.Module):
    """Post-LN block (as BERT): LN(x + Attn(x)), then LN(x + FFN(x))."""

    def __init__(self, cfg: Wav2Vec2Config):
        super().__init__()
        self.attn = SelfAttention(cfg.d_model, cfg.n_heads)
        self.attn_norm = nn.LayerNorm(cfg.d_model, eps=cfg.norm_eps)
        self.ffn_in = nn.Linear(cfg.d_model, cfg.d_ff)
        self.ffn_out = nn.Linear(cfg.d_ff, cfg.d_model)
        self.ffn_norm = nn.LayerNorm(cfg.d_model, eps=cfg.norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.attn_norm(x + self.dropout(self.attn(x)))
        h = self.ffn_out(self.dropout(F.gelu(self.ffn_in(x))))
        return self.ffn_norm(x + self.dropout(h))  # (B, T, d)


class Wav2Vec2(nn.Module):
    def __init__(self, cfg: Wav2Vec2Config = Wav2Vec2Config()):
        super().__init__()
        self.cfg = cfg
        self.feature_encoder = FeatureEncoder(cfg)
        self.feature_norm = nn.LayerNorm(cfg.conv_dim, eps=cfg.norm_eps)
        self.feature_projection = nn.Linear(cfg.conv_dim, cfg.d_model)
        self.mask_embedding = nn.Parameter(torch.rand(cfg.d_model))  # replaces masked z_t in pre-training (§3.1)
        self.pos_conv = ConvPositionalEmbedding(cfg)
        self.encoder_norm = nn.LayerNorm(cfg.d_model, eps=cfg.norm_eps)
        self.layers = nn.ModuleList(TransformerLayer(cfg) for _ in range(cfg.n_layers))
        self.dropout = nn.Dropout(cfg.dropout)

    def num_frames(self, samples: int) -> int:
        for k, s in zip(self.cfg.conv_kernels, self.cfg.conv_strides):
            samples = (samples - k) // s + 1
        return samples

    def forward(self, wave: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, samples) 16 kHz waveform (zero mean, unit variance) → (B, T, 768) context vectors c_t.

        `mask`: optional bool (B, T), True where the latent is replaced by the mask embedding (pre-training)."""
        z = self.feature_encoder(wave)  # (B, T, 512)
        x = self.dropout(self.feature_projection(self.feature_norm(z)))  # (B, T, 768)
        if mask is not None:
            x = torch.where(mask[..., None], self.mask_embedding.to(x.dtype), x)
        x = x + self.pos_conv(x)  # relative positional information from neighbouring frames
        x = self.dropout(self.encoder_norm(x))
        for layer in self.layers:
            x = layer(x)
        return x


# Our parameter names → Hugging Face `Wav2Vec2Model` names (prefix substitutions applied in order).
HF_KEYS = (
    ("feature_encoder.convs.", "feature_extractor.conv_layers.", ".conv."),
    ("feature_encoder.norm.", "feature_extractor.conv_layers.0.layer_norm.", ""),
    ("feature_norm.", "feature_projection.layer_norm.", ""),
    ("feature_projection.", "feature_projection.projection.", ""),
    ("mask_embedding", "masked_spec_embed", ""),
    ("pos_conv.weight_g", "encoder.pos_conv_embed.conv.parametrizations.weight.original0", ""),
    ("pos_conv.weight_v", "encoder.pos_conv_embed.conv.parametrizations.weight.original1", ""),
    ("pos_conv.bias", "encoder.pos_conv_embed.conv.bias", ""),
    ("encoder_norm.", "encoder.layer_norm.", ""),
)
_LAYER_KEYS = {
    "attn.q": "attention.q_proj",
    "attn.k": "attention.k_proj",
    "attn.v": "attention.v_proj",
    "attn.out": "attention.out_proj",
    "attn_norm": "layer_norm",
    "ffn_in": "feed_forward.intermediate_dense",
    "ffn_out": "feed_forward.output_dense",
    "ffn_norm": "final_layer_norm",
}


def hf_name(name: str) -> str:
    """Our parameter name → its `Wav2Vec2Model` name."""
    if name.startswith("layers."):
        _, i, rest = name.split(".", 2)
        module, leaf = rest.rsplit(".", 1)
        return f"encoder.layers.{i}.{_LAYER_KEYS[module]}.{leaf}"
    for ours, theirs, infix in HF_KEYS:
        if name.startswith(ours):
            rest = name[len(ours) :]
            if infix:  # feature_encoder.convs.3.weight → feature_extractor.conv_layers.3.conv.weight
                i, leaf = rest.split(".", 1)
                return f"{theirs}{i}{infix}{leaf}"
            return theirs + rest
    raise KeyError(name)


def hf_wav2vec2_map(model: Wav2Vec2) -> KeyMap:
    # Wav2Vec2ForPreTraining's quantiser and projections, or a fine-tuned model's CTC head: not part of the encoder
    return KeyMap(
        {name: hf_name(name) for name in model.state_dict()},
        ignore=("quantizer.*", "project_q.*", "project_hid.*", "lm_head.*"),
    )


def load_hf_state_dict(model: Wav2Vec2, hf_state: dict[str, torch.Tensor]) -> None:
    """Copy a `Wav2Vec2Model` state dict into `model`, strictly (every tensor used, every shape equal)."""
    load_mapped(model, hf_state, hf_wav2vec2_map(model))


def legacy_weight_norm_names(name: str) -> str:
    """Checkpoints saved before torch's parametrizations name the weight-normed convolution weight_g / weight_v."""
    for old, new in ((".conv.weight_g", ".conv.parametrizations.weight.original0"),
                     (".conv.weight_v", ".conv.parametrizations.weight.original1")):  # fmt: skip
        if name.endswith(old):
            return name[: -len(old)] + new
    return name


def hf_wav2vec2_config(config, shapes) -> dict:
    out = hf_overrides(
        config,
        {"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
         "d_ff": "intermediate_size", "pos_kernel": "num_conv_pos_embeddings",
         "pos_groups": "num_conv_pos_embedding_groups", "norm_eps": "layer_norm_eps"},
    )  # fmt: skip
    if config.get("feat_extract_norm", "group") != "group" or config.get("do_stable_layer_norm", False):
        raise PretrainedError("only the BASE layout (group-normed feature encoder, post-LN Transformer) fits wav2vec2_base")
    dims = set(config.get("conv_dim", [Wav2Vec2Config.conv_dim]))
    if len(dims) != 1:
        raise PretrainedError(f"wav2vec2_base has one width for all feature convolutions; the checkpoint has {sorted(dims)}")
    out["conv_dim"] = dims.pop()
    for ours, theirs in (("conv_kernels", "conv_kernel"), ("conv_strides", "conv_stride")):
        if theirs in config:
            out[ours] = tuple(config[theirs])
    return out


register_layout(
    Layout(
        "hf",
        models=("wav2vec2_base",),
        key_map=hf_wav2vec2_map,
        config=hf_wav2vec2_config,
        model_types=("wav2vec2",),
        prefixes=("", "wav2vec2."),  # Wav2Vec2Model, or the encoder inside Wav2Vec2ForPreTraining / ForCTC
        rename=legacy_weight_norm_names,
        note="Wav2Vec2Model, Wav2Vec2ForPreTraining and ForCTC checkpoints of the BASE layout: the encoder",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "wav2vec2_base", "hf://facebook/wav2vec2-base", layout="hf", licence="apache-2.0",
        dataset="LibriSpeech 960 h, unlabelled",
    )
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint(
        "wav2vec2_base", "hf://facebook/wav2vec2-base-960h", layout="hf", licence="apache-2.0",
        dataset="LibriSpeech 960 h, CTC fine-tuned (the CTC head is not loaded)",
    )
)  # fmt: skip


def _example() -> torch.Tensor:
    """0.5 s of a normalised 16 kHz chirp: (1, 8000) samples → 24 frames of 20 ms."""
    t = torch.arange(8000) / 16000
    wave = torch.sin(2 * math.pi * (200 * t + 600 * t**2))
    return ((wave - wave.mean()) / wave.std())[None]


@register_model(
    card=ModelCard(
        key="wav2vec2_base",
        name="wav2vec 2.0 BASE",
        family="wav2vec 2.0",
        domain="audio",
        task="self-supervised speech representation",
        year=2020,
        paper=Paper(
            "wav2vec 2.0: A Framework for Self-Supervised Learning of Speech Representations",
            "https://arxiv.org/abs/2006.11477",
            authors="A. Baevski, H. Zhou, A. Mohamed, M. Auli",
            venue="NeurIPS 2020",
        ),
        level="advanced",
        summary=(
            "A speech encoder pre-trained on unlabelled audio: convolutions turn the raw waveform into one "
            "latent vector every 20 ms, spans of them are masked, and a Transformer must tell the true "
            "(quantised) latent of each masked step from distractors. Fine-tuned with a CTC head, it reaches "
            "strong recognition with very little transcribed speech — ten minutes of labels already give a "
            "usable recogniser — and its features serve many other speech tasks."
        ),
        scenarios=(
            "speech recognition with little labelled data (fine-tune with a CTC head)",
            "speech features for speaker, emotion or language identification",
            "low-resource and multilingual ASR (XLSR variants)",
        ),
        strengths=(
            "reads raw waveforms: no hand-made spectrogram front end",
            "self-supervised pre-training makes labelled data go a very long way",
            "convolutional relative positions handle any utterance length",
        ),
        weaknesses=(
            "pre-training needs a lot of compute and unlabelled audio",
            "attention cost grows quadratically with utterance length",
            "the encoder alone outputs features, not text: it needs fine-tuning and a decoder",
        ),
        params=Figure(94_371_712, "Hugging Face transformers Wav2Vec2Model with the facebook/wav2vec2-base config"),
        input="normalised 16 kHz waveform (1, 8000): 0.5 s (any length ≥ 400 samples works)",
        output="(1, 24, 768) context vectors, one per 20 ms frame",
        config_note=(
            "BASE: feature encoder of 7 bias-free convs (512 ch; kernels 10,3,3,3,3,2,2; strides 5,2,2,2,2,2,2; "
            "GroupNorm per channel after the first; GELU) 4,200,448; LayerNorm + projection 512→768 395,008; "
            "mask embedding 768; weight-normed conv positional embedding (kernel 128, 16 groups) 4,719,488; "
            "encoder LayerNorm 1,536; 12 post-LN layers (768, FFN 3,072, 12 heads) 85,054,464. Total "
            "94,371,712. No quantiser (pre-training only) and no CTC head."
        ),
        tags=("transformer", "self-supervised", "speech", "asr", "raw waveform", "contrastive", "convolution"),
        i18n={
            "zh": {
                "task": "自监督语音表示",
                "summary": "在无标注音频上预训练的语音编码器：卷积把原始波形变成每 20 毫秒一个潜在向量，随机遮住其中的片段，"
                "Transformer 需要从干扰项中认出每个被遮住时刻的真实（量化后）潜在向量。接上 CTC 头微调后，"
                "只需极少的转写语音就能得到很强的识别效果——十分钟的标注就能训练出可用的识别器；它的特征也适用于许多其他语音任务。",
                "scenarios": ["标注数据很少时的语音识别（接 CTC 头微调）", "用于说话人、情绪或语种识别的语音特征", "低资源与多语种 ASR（XLSR 系列）"],
                "strengths": ["直接读取原始波形，无需手工设计的频谱前端", "自监督预训练让少量标注数据发挥很大作用", "卷积相对位置编码可处理任意长度的语音"],
                "weaknesses": ["预训练需要大量算力和无标注音频", "注意力计算量随语音长度平方增长", "编码器本身只输出特征而非文本：还需微调和解码器"],
                "input": "归一化的 16 kHz 波形 (1, 8000)：0.5 秒（不少于 400 个采样点即可）",
                "output": "(1, 24, 768) 的上下文向量，每 20 毫秒一帧",
                "config_note": "BASE：特征编码器为 7 个无偏置卷积（512 通道；卷积核 10,3,3,3,3,2,2；步长 5,2,2,2,2,2,2；"
                "第一层后接逐通道 GroupNorm；GELU）4,200,448；LayerNorm + 投影 512→768 共 395,008；遮盖向量 768；"
                "权重归一化的卷积位置编码（卷积核 128，16 组）4,719,488；编码器 LayerNorm 1,536；12 层后置 LN 的 Transformer"
                "（768，FFN 3,072，12 头）85,054,464。合计 94,371,712。不含量化器（仅预训练用）和 CTC 头。",
            }
        },
    ),
    example_input=_example,
)
def wav2vec2_base(**overrides) -> Wav2Vec2:
    return Wav2Vec2(replace(Wav2Vec2Config(), **overrides))
