// The console's few enhancements; every page works without them.
// Copy buttons: <button data-copy="#id"> copies the text of the element it names.
document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  const source = document.querySelector(button.getAttribute('data-copy'));
  if (!source) return;
  const text = 'value' in source ? source.value : source.textContent;
  const status = button.parentElement?.querySelector('[data-copy-status]');
  try {
    await navigator.clipboard.writeText(text ?? '');
    if (status) status.textContent = 'Copied.';
  } catch {
    if (status) status.textContent = 'Select the text and copy it with your keyboard.';
  }
});
// Copy buttons are useless without this script: they are hidden until it runs.
document.querySelectorAll('[data-copy]').forEach((b) => b.removeAttribute('hidden'));
