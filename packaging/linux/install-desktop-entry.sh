#!/usr/bin/env sh
# Register MM-RAG Desktop with the desktop for the current user (menu entry + icon) and
# put `mmrag` / `mmrag-desktop` on the PATH via ~/.local/bin. Run from the unpacked
# folder; `--uninstall` removes what it added. Nothing outside ~/.local is touched.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
icons="${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor"
bin="$HOME/.local/bin"
if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$apps/mmrag-desktop.desktop" "$icons/256x256/apps/mmrag-desktop.png" \
        "$icons/scalable/apps/mmrag-desktop.svg" "$bin/mmrag" "$bin/mmrag-desktop"
  echo "Removed the MM-RAG Desktop menu entry, icon and links."
  exit 0
fi
mkdir -p "$apps" "$icons/256x256/apps" "$icons/scalable/apps" "$bin"
cp "$here/share/icons/mmrag-desktop.png" "$icons/256x256/apps/mmrag-desktop.png"
cp "$here/share/icons/mmrag-desktop.svg" "$icons/scalable/apps/mmrag-desktop.svg"
ln -sf "$here/mmrag" "$bin/mmrag"
[ -e "$here/mmrag-desktop" ] && ln -sf "$here/mmrag" "$bin/mmrag-desktop"
# Absolute paths: a menu entry must not depend on the user's PATH.
sed -e "s|^Exec=mmrag-desktop|Exec=$here/mmrag-desktop|" -e "s|^TryExec=mmrag-desktop|TryExec=$here/mmrag-desktop|" \
    -e "s|^Exec=mmrag demo|Exec=$here/mmrag demo|" "$here/share/mmrag-desktop.desktop" > "$apps/mmrag-desktop.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$apps" >/dev/null 2>&1 || true
echo "Installed: $apps/mmrag-desktop.desktop (icon and ~/.local/bin links too)."
