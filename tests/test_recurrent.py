"""Classic sequence models checked against a reference or against the property that defines them:
RNN/LSTM/GRU against torch's own layers, the CRF against brute-force enumeration, TextCNN's max-over-time
pooling, RNNsearch's attention, and ELMo's LSTMP against nn.LSTM(proj_size=…) and its directions."""

from __future__ import annotations

import itertools

import pytest
import torch

from zoo.nlp import bilstm_crf, elmo, recurrent, seq2seq, textcnn


# ------------------------------------------------------------------------------ RNN, LSTM, GRU
@pytest.mark.parametrize(
    "ours, theirs",
    [(recurrent.ElmanRNN, torch.nn.RNN), (recurrent.LSTM, torch.nn.LSTM), (recurrent.GRU, torch.nn.GRU)],
    ids=["rnn", "lstm", "gru"],
)
def test_cells_match_torch_with_copied_weights(ours, theirs):
    torch.manual_seed(0)
    ref = theirs(24, 32, batch_first=True)
    mine = ours.from_torch(ref)
    x = torch.randn(3, 9, 24)
    state = torch.randn(1, 3, 32), torch.randn(1, 3, 32)  # a non-zero initial state exercises every term
    with torch.no_grad():
        if theirs is torch.nn.LSTM:
            out_ref, (h_ref, c_ref) = ref(x, state)
            out, (h, c) = mine(x, (state[0][0], state[1][0]))
            torch.testing.assert_close(c, c_ref[0], atol=1e-5, rtol=0)
        else:
            out_ref, h_ref = ref(x, state[0])
            out, h = mine(x, state[0][0])
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(h, h_ref[0], atol=1e-5, rtol=0)
    assert sum(p.numel() for p in mine.parameters()) == sum(p.numel() for p in ref.parameters())


# ------------------------------------------------------------------------------ BiLSTM-CRF
@pytest.fixture(scope="module")
def tagger():
    torch.manual_seed(0)
    return bilstm_crf.BiLSTMCRF(bilstm_crf.BiLSTMCRFConfig(embed_dim=6, hidden_size=5, num_tags=3)).eval()


def _brute_force(crf, emissions, length):
    """Score of every tag sequence of one sentence, by direct summation over all K^T of them."""
    K = emissions.shape[-1]
    scores = {}
    for tags in itertools.product(range(K), repeat=length):
        t = torch.tensor(tags)
        s = crf.start[t[0]] + emissions[torch.arange(length), t].sum() + crf.end[t[-1]]
        s = s + sum(crf.transitions[t[i - 1], t[i]] for i in range(1, length))
        scores[tags] = s
    return scores


def test_crf_forward_algorithm_and_viterbi_match_enumeration(tagger):
    torch.manual_seed(1)
    lengths = torch.tensor([5, 3])  # the second sentence is padded: the recursion must stop at its end
    mask = torch.arange(5)[None] < lengths[:, None]
    with torch.no_grad():
        e = tagger.emissions(torch.randn(2, 5, 6), mask)
        log_z = tagger.crf.log_partition(e, mask)
        best, best_score = tagger.crf.viterbi(e, mask)
        for b, n in enumerate(lengths.tolist()):
            scores = _brute_force(tagger.crf, e[b, :n], n)  # 3^5 = 243 and 3^3 = 27 sequences
            torch.testing.assert_close(log_z[b], torch.logsumexp(torch.stack(list(scores.values())), 0))
            argmax = max(scores, key=lambda k: scores[k].item())
            assert tuple(best[b, :n].tolist()) == argmax
            assert (best[b, n:] == -1).all()
            torch.testing.assert_close(best_score[b], scores[argmax])
            # and the score of any given sequence agrees with the enumeration (used by the loss)
            tags = torch.zeros(1, 5, dtype=torch.long)
            tags[0, :n] = torch.tensor(argmax)
            torch.testing.assert_close(tagger.crf.score(e[b : b + 1], tags, mask[b : b + 1])[0], scores[argmax])


def test_bilstm_padding_does_not_leak_and_loss_is_a_likelihood(tagger):
    torch.manual_seed(2)
    x = torch.randn(1, 4, 6)
    padded = torch.cat([x, torch.randn(1, 3, 6)], 1)  # garbage after the sentence
    mask = torch.tensor([[True] * 4 + [False] * 3])
    with torch.no_grad():
        torch.testing.assert_close(tagger.emissions(padded, mask)[:, :4], tagger.emissions(x))
        tags = torch.randint(0, 3, (1, 4))
        nll = tagger.loss(x, tags)
    assert nll > 0  # −log p(y|X) > 0: every sequence has probability < 1


# ------------------------------------------------------------------------------ TextCNN
def test_max_over_time_pooling_is_invariant_to_where_the_phrase_is():
    """Kim (2014) §2: a filter's pooled value is its best match anywhere; moving a phrase inside zero padding
    (Kim pads sentences with zero vectors) changes no feature and so no logit."""
    torch.manual_seed(0)
    model = textcnn.TextCNN(textcnn.TextCNNConfig(embed_dim=8, maps=6)).eval()
    phrase = torch.randn(7, 8)
    early, late = torch.zeros(1, 30, 8), torch.zeros(1, 30, 8)
    early[0, 4:11], late[0, 19:26] = phrase, phrase
    longer = torch.cat([late, torch.zeros(1, 10, 8)], 1)  # more padding: a mean would change, the max does not
    with torch.no_grad():
        torch.testing.assert_close(model(early), model(late))
        torch.testing.assert_close(model(longer), model(late))
        # and each feature is exactly the largest window response of its filter (Eq. 2 then the max)
        feats = model.features(late)
        conv = model.convs[1]  # width 4
        windows = late[0].unfold(0, 4, 1)  # (27, 8, 4): every run of 4 word vectors
        by_hand = torch.relu(torch.einsum("wdk,mdk->wm", windows, conv.weight) + conv.bias).amax(0)
    torch.testing.assert_close(feats[0, 6:12], by_hand)


# ------------------------------------------------------------------------------ RNNsearch
@pytest.fixture(scope="module")
def rnnsearch():
    torch.manual_seed(0)
    cfg = seq2seq.Seq2SeqConfig(src_vocab=40, tgt_vocab=30, embed_dim=8, enc_hidden=10, dec_hidden=12,
                                align_dim=9, maxout_units=7)
    return seq2seq.RNNsearch(cfg).eval()


def test_attention_is_a_distribution_that_ignores_padding(rnnsearch):
    torch.manual_seed(1)
    src = torch.randint(3, 40, (2, 8))
    src[1, 5:] = 0  # the second sentence has 5 words and 3 padding positions
    tgt = torch.randint(3, 30, (2, 6))
    with torch.no_grad():
        logits, alpha = rnnsearch(src, tgt, return_attention=True)
        alone = rnnsearch(src[1:, :5], tgt[1:], return_attention=True)
    assert logits.shape == (2, 6, 30) and alpha.shape == (2, 6, 8)
    torch.testing.assert_close(alpha.sum(-1), torch.ones(2, 6))  # Σ_j α_ij = 1 over source positions
    assert (alpha >= 0).all()
    assert (alpha[1, :, 5:] == 0).all()  # padded positions get exactly zero weight
    # and padding changes nothing else: the padded sentence decodes as if it were alone
    torch.testing.assert_close(logits[1], alone[0][0])
    torch.testing.assert_close(alpha[1, :, :5], alone[1][0])


def test_greedy_decoding_feeds_back_its_own_words(rnnsearch):
    src = torch.randint(3, 40, (1, 6))
    ids, alpha = rnnsearch.greedy(src, 5)
    # teacher forcing with the greedy words as targets reproduces the greedy choices
    tgt_in = torch.cat([torch.tensor([[rnnsearch.cfg.bos_id]]), ids[:, :-1]], 1)
    with torch.no_grad():
        logits = rnnsearch(src, tgt_in)
    ended = (ids == rnnsearch.cfg.eos_id).cumsum(1) > 0
    live = ~torch.cat([torch.zeros_like(ended[:, :1]), ended[:, :-1]], 1)  # up to and including the first eos
    assert torch.equal(logits.argmax(-1)[live], ids[live])
    torch.testing.assert_close(alpha.sum(-1), torch.ones(1, 5))


# ------------------------------------------------------------------------------ ELMo
SMALL_ELMO = elmo.ELMoConfig(char_dim=4, max_chars=12, filters=((1, 4), (2, 6), (3, 6)), dim=8, cells=16)


@pytest.fixture(scope="module")
def small_elmo():
    torch.manual_seed(0)
    return elmo.ELMo(SMALL_ELMO).eval()


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_lstmp_matches_torch_lstm_with_projection_when_unclipped():
    torch.manual_seed(0)
    ref = torch.nn.LSTM(8, 16, batch_first=True, proj_size=8)
    mine = elmo.LSTMP(8, 16, cell_clip=None, proj_clip=None)
    with torch.no_grad():
        mine.input_linearity.weight.copy_(ref.weight_ih_l0)
        mine.state_linearity.weight.copy_(ref.weight_hh_l0)
        mine.state_linearity.bias.copy_(ref.bias_ih_l0 + ref.bias_hh_l0)  # one bias per gate suffices
        mine.state_projection.weight.copy_(ref.weight_hr_l0)
        x = torch.randn(2, 7, 8)
        torch.testing.assert_close(mine(x, torch.ones(2, 7, dtype=torch.bool)), ref(x)[0], atol=1e-5, rtol=0)


def test_elmo_directions_padding_and_mix(small_elmo):
    words = "the bank by the river".split()
    x = elmo.char_ids(words, SMALL_ELMO)[None]  # (1, 5, 12)
    changed = elmo.char_ids("the bank by the sea".split(), SMALL_ELMO)[None]  # only the last word differs
    padded = torch.cat([x, torch.zeros(1, 3, 12, dtype=torch.long)], 1)
    with torch.no_grad():
        layers, keep = small_elmo.layers(x)  # (3, 1, 7, 16): <S> + 5 words + </S>
        layers_changed, _ = small_elmo.layers(changed)
        d = SMALL_ELMO.dim
        # the forward LM at word t has read words ≤ t only: words 1–4 are unchanged in both LSTM layers …
        torch.testing.assert_close(layers[1:, :, :5, :d], layers_changed[1:, :, :5, :d])
        # … while the backward LM at word 1 has read the changed last word
        assert not torch.allclose(layers[1:, :, 1, d:], layers_changed[1:, :, 1, d:])
        out, out_padded = small_elmo(x), small_elmo(padded)
        torch.testing.assert_close(out_padded[:, :5], out, atol=1e-6, rtol=0)  # padding does not leak in
        assert (out_padded[:, 5:] == 0).all()
        # the output is γ · Σ softmax(w)_j · layer_j at the words' positions (boundary tokens dropped)
        small_elmo.mix_weights.copy_(torch.tensor([0.0, 1.0, -1.0]))
        s = torch.softmax(small_elmo.mix_weights, 0)
        torch.testing.assert_close(small_elmo(x), small_elmo.gamma * (s[:, None, None, None] * layers).sum(0)[:, 1:6])
        small_elmo.mix_weights.zero_()
    assert keep.tolist() == [[True] * 7]
