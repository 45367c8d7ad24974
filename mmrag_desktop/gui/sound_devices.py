"""Whether this machine can record or play sound (sounddevice + a PortAudio device), said
as a reason a tooltip can show."""

from __future__ import annotations


def device_problem(channels_key: str, missing: str) -> str | None:
    """Why no device with ``channels_key`` ("max_input_channels" / "max_output_channels")
    can be used, or None when one exists; ``missing`` is the message when none does."""
    try:
        import sounddevice as sd
    except (ImportError, OSError) as exc:
        return f"sounddevice is not available ({exc})"
    try:
        devices = sd.query_devices()
    except Exception as exc:
        return f"cannot list audio devices ({exc})"
    if not any(d.get(channels_key, 0) > 0 for d in devices):
        return missing
    return None
