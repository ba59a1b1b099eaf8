// Optional help for the owner filter: a box that narrows the list of 1,800 organizations to
// the names containing what is typed. Without JavaScript the list is still a plain choice.
document.querySelectorAll("select[data-search-label]").forEach((select) => {
  const box = document.createElement("input");
  box.type = "search";
  box.className = "owner-search";
  box.setAttribute("aria-label", select.dataset.searchLabel);
  box.placeholder = select.dataset.searchLabel;
  box.setAttribute("aria-controls", select.id);
  select.before(box);
  box.addEventListener("input", () => {
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
  });
});
