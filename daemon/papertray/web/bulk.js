// The selection and what can be done with it at once: mark read, tag, export as BibTeX, remove (with one Undo).

export function bulkBar({ bar, count, tagInput, onRead, onTag, onExport, onRemove, onClear }) {
  bar.querySelector(".bulk-read").addEventListener("click", onRead);
  bar.querySelector(".bulk-export").addEventListener("click", onExport);
  bar.querySelector(".bulk-remove").addEventListener("click", onRemove);
  bar.querySelector(".bulk-clear").addEventListener("click", onClear);
  tagInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const value = tagInput.value.trim().replace(/\s+/g, " ");
    tagInput.value = "";
    if (value) onTag(value);
  });
  return {
    show(selected, shown) {
      bar.hidden = selected === 0;
      count.textContent = `${selected} of ${shown} selected`;
    },
  };
}

// A file the user asked for, handed to the browser's own download (blob: URL, no network).
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
