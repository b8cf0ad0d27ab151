"""What a `BadInput` says, in English: one template per key, filled with the error's `params`.

The library speaks English; the app translates the same keys (`input.<key>` in `ui/locales/*.toml`,
checked by `tests/test_i18n.py`). Placeholders are plain `{name}`: callers pass numbers already
formatted, so every language shows them the same way.
"""

MESSAGES: dict[str, str] = {
    # ------------------------------------------------------------------ images
    "image_empty": "The file is empty.",
    "image_file_too_big": "The file is {mb} MB; images up to {max_mb} MB are accepted.",
    "image_too_many_pixels": "The image is {w}×{h} ({mp} megapixels); the limit is {max_mp} megapixels.",
    "image_too_many_pixels_unknown": "The image is larger than {max_mp} megapixels, the limit.",
    "image_too_small": "The image is {w}×{h} pixels; each side must be at least {min_side} pixels.",
    "image_too_elongated": (
        "The image is {w}×{h} pixels; its long side may be at most {max_aspect} times its short side."
    ),
    "image_unreadable": "This file is not an image DeepZoo can read (PNG, JPEG, WebP, GIF, BMP, TIFF).",
    "image_damaged": "The image file is damaged or truncated.",
    "picture_shape": "Expected a grayscale, RGB or RGBA picture, got an array of shape {shape}.",
    "picture_not_finite": "The picture contains invalid (NaN or infinite) values.",
    "digit_blank": "No digit found: the picture is blank or its strokes barely differ from the background.",
    "digit_no_ink": "No digit found: draw or photograph one dark or light digit on a plain background.",
    "unknown_layer": "Unknown layer {value}; choose one of {choices}.",
    "unknown_sample": "Unknown sample {value}; choose one of {choices}.",
    # ------------------------------------------------------------------ audio
    "audio_missing": "Please upload an audio file or record from the microphone.",
    "audio_empty": "The audio file is empty.",
    "audio_file_too_big": "The file is {mb} MB; audio up to {max_mb} MB is accepted.",
    "audio_unreadable": "This file is not audio DeepZoo can read. Supported: {formats}.",
    "audio_no_samples": "The audio file holds no samples.",
    "audio_no_rate": "The recording has no sample rate.",
    "audio_damaged": "The audio file is damaged.",
    "audio_invalid_samples": "The audio contains invalid samples.",
    "audio_too_long": "The clip is {seconds} s long; clips up to {max_seconds} s are accepted.",
    "audio_too_short": "The clip is {seconds} s long; a clip must last at least {min_seconds} s.",
    "audio_silent": "The clip is silent (or nearly). Record again closer to the microphone.",
    # ------------------------------------------------------------------ text
    "text_missing": "Please enter some text.",
    "text_not_utf8": "The text is not UTF-8.",
    "text_binary": "The text looks like binary data, not language.",
    "text_invalid_unicode": (
        "The text contains an invalid character (U+{code}, half of a broken character pair); "
        "retype or paste it again."
    ),
    "text_too_long": "The text is {n} characters long; the limit is {max}.",
    "query_too_long": "The query is {n} characters long; the limit is {max}.",
    "too_many_lines": "There are {n} lines; compare at most {max} sentences at a time.",
    "line_too_long": "Line {line} is {n} characters long; each sentence may have up to {max}.",
    "too_few_sentences": "Enter at least two sentences, one per line (or one sentence and a query).",
    "unknown_model": "Unknown model {value}; choose one of: {choices}.",
    "temperature_range": "Temperature must be between 0 (always the likeliest byte) and {max}.",
    "top_k_range": "Top-k must be between 0 (off) and {max}.",
    "new_bytes_range": "Generate between 1 and {max} new bytes.",
    # ------------------------------------------------------------------ numbers and choices
    "seed_range": "Seed out of range: the seed must be a whole number from 0 to {max}.",
    "epochs_range": "Epochs must be a whole number from {low} to {high} (got {value}).",
    "grid_range": "Grid size must be a whole number from {low} to {high} (got {value}).",
    "digit_range": "Digit must be a whole number from {low} to {high} (got {value}).",
    "steps_range": "Steps must be a whole number from {low} to {high} (got {value}).",
    "images_range": "Number of images must be a whole number from {low} to {high} (got {value}).",
    "latent_dims": "The latent space has {choices} dimensions here (got {value}).",
    "latent_plane": "The latent plane can be drawn only for a VAE with a 2-dimensional latent space.",
    # ------------------------------------------------------------------ CartPole
    "unknown_agent": "Unknown agent {value}; choose one of {choices}.",
    "ppo_untrained": "Train PPO first: there is no trained PPO agent in this session yet.",
    "episode_steps": "An episode can last from 1 to {max} steps (CartPole-v1 stops at {max}).",
    "compare_episodes": "Compare over 1 to {max} episodes.",
    # ------------------------------------------------------------------ karate club
    "train_epochs": "Train for 1 to {max} epochs (got {value}).",
    "karate_member_numbers": "Labelled nodes must be member numbers from 0 to {last}.",
    "karate_need_both": "Label at least one member of each faction (e.g. 0, Mr. Hi, and 33, the officer).",
    "karate_no_member": "The club has members 0 to {last}; there is no member {value}.",
    "karate_one_faction": (
        "All labelled members belong to one faction; label at least one member of the {missing} faction "
        "too (e.g. node {node}), or the model cannot learn that it exists."
    ),
    "karate_all_labelled": (
        "Leave some members unlabelled: the model predicts the factions of the members it is not shown."
    ),
    # ------------------------------------------------------------------ dates (seq2seq with attention)
    "date_control": "The text contains a control or invisible character (U+{code}); type the date as plain text.",
    "date_unknown_chars": (
        "Most characters ({chars}) are ones the model never saw in a date; write it with digits, English month "
        "names or 年月日."
    ),
    # ------------------------------------------------------------------ segment it (U-Net)
    "segmentation_blank": "The picture is one flat colour: there is nothing to separate from the background.",
    # ------------------------------------------------------------------ find the digits (YOLOv8)
    "find_digits_threshold": "The score threshold must be a number from 0 to 1 (got {value}).",
    # ------------------------------------------------------------------ KAN formula fitting
    "kan_unknown_formula": "Unknown formula {value}; choose one of: {choices}.",
    "kan_points_range": "Training points must be a whole number from {low} to {high} (got {value}).",
    "kan_shipped_only": "Shipped weights exist only for {shipped}; train a fresh KAN to fit {formula}.",
}
