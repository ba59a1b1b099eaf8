// The owner filter: a page carries only "All" and the owner chosen; this fills the choice with
// every organization (fetched from data-options, revalidated by its ETag) and adds a box that
// narrows the list to the names containing what is typed. Without JavaScript, or when the
// list cannot be fetched, the link beside the choice leads to a page of every organization.
const narrow = (select, box) => {
  const wanted = box.value.trim().toLowerCase();
  let first = null;
  select.querySelectorAll("optgroup").forEach((group) => {
    let shown = 0;
    group.querySelectorAll("option").forEach((option) => {
      const match = !wanted || option.textContent.toLowerCase().includes(wanted)
        || option.value.toLowerCase() === wanted;
      option.hidden = !match;
      if (match) {
        shown += 1;
        first = first || option;
      }
    });
    group.hidden = shown === 0;
  });
  if (wanted && first) {
    first.selected = true;
  }
};

const fill = async (select) => {
  const response = await fetch(select.dataset.options, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`${select.dataset.options}: ${response.status}`);
  }
  const chosen = select.value;
  const options = document.createElement("template");
  options.innerHTML = await response.text();
  const keep = [...select.options].filter((option) => !option.value);
  select.replaceChildren(...keep, options.content);
  select.value = chosen;
  if (select.value !== chosen) {
    // An owner no longer listed (the address still names it) stays chosen.
    const option = new Option(chosen, chosen, true, true);
    select.add(option, keep.length);
  }
};

document.querySelectorAll("select[data-search-label][data-options]").forEach((select) => {
  // The box takes its place at once, so nothing moves when the list arrives; it is usable then.
  const box = document.createElement("input");
  box.type = "search";
  box.className = "owner-search";
  box.setAttribute("aria-label", select.dataset.searchLabel);
  box.placeholder = select.dataset.searchLabel;
  box.setAttribute("aria-controls", select.id);
  box.disabled = true;
  select.before(box);
  select.setAttribute("aria-busy", "true");
  fill(select)
    .then(() => {
      box.disabled = false;
      box.addEventListener("input", () => narrow(select, box));
    })
    .catch((error) => {
      box.remove();
      console.error("The list of organizations could not be fetched:", error);
    })
    .finally(() => select.removeAttribute("aria-busy"));
});
