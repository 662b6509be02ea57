/** Saves `text` as a file through a Blob URL and `<a download>`. */
export function downloadText(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download reads the URL after click() returns: revoking at once can cancel it.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
