// Exercises (dlbasics.exercises): check the reader's answer against the one the build computed.
//
// Each exercise is a <div class="dlb-exercise"> whose data attributes hold the build's answer
// (and, for a number, the tolerance and the likely mistakes). This script adds the input or
// the radio buttons, checks the answer, announces the result (a live region), and keeps what
// the reader solved in localStorage, under the page's path: no server, nothing sent. The
// progress lines (".dlb-exercise-progress") show "n of m solved" for the page, the one on the
// home page (".dlb-exercise-progress-all") for every page, each with a reset button.
//
// Runs on every page Material shows, the first and those reached by instant navigation
// (document$).
(() => {
  const STORE = "dlb-exercises";
  const READY = "data-dlb-ready";

  const load = () => {
    try {
      return JSON.parse(localStorage.getItem(STORE)) || {};
    } catch {
      return {};
    }
  };
  const save = (all) => {
    try {
      localStorage.setItem(STORE, JSON.stringify(all));
    } catch {
      // storage refused (private mode, quota): the page still checks answers
    }
  };
  const root = () => (typeof __md_scope !== "undefined" ? __md_scope.pathname : "/");
  const pageKey = () => {
    const path = location.pathname.replace(/index\.html$/, "");
    return path.startsWith(root()) ? path.slice(root().length) : path;
  };
  const solvedHere = () => new Set(load()[pageKey()] || []);
  const markSolved = (id) => {
    const all = load();
    const here = new Set(all[pageKey()] || []);
    here.add(id);
    all[pageKey()] = [...here].sort();
    save(all);
    updateProgress();
  };

  let counter = 0;
  const make = (tag, attributes = {}, text = "") => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text) node.textContent = text;
    return node;
  };

  const feedbackLine = () => make("p", { class: "dlb-exercise-feedback", role: "status" });

  const setUpNumeric = (box, form) => {
    const answer = Number(box.dataset.answer);
    const tolerance = Number(box.dataset.tolerance);
    const hints = JSON.parse(box.dataset.hints || "[]");
    const id = `dlb-input-${++counter}`;
    const label = make("label", { for: id }, "Your answer");
    const input = make("input", {
      id,
      type: "text",
      inputmode: "decimal",
      autocomplete: "off",
      spellcheck: "false",
      "aria-describedby": `${id}-accepts`,
    });
    const unit = box.dataset.unit ? make("span", { class: "dlb-exercise-unit" }, box.dataset.unit) : null;
    const button = make("button", { type: "submit", class: "md-button" }, "Check");
    const accepts = make("p", { id: `${id}-accepts`, class: "dlb-exercise-accepts" },
      `Accepted within ${box.dataset.accepts}.`);
    const feedback = feedbackLine();
    const row = make("div", { class: "dlb-exercise-row" });
    row.append(label, input, ...(unit ? [unit] : []), button);
    form.append(row, accepts, feedback);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim().replace(",", ".").replace(/\s+/g, "");
      const percent = text.endsWith("%");
      const value = Number(percent ? text.slice(0, -1) : text) / (percent ? 100 : 1);
      box.dataset.state = "tried";
      if (!text || !Number.isFinite(value)) {
        feedback.textContent = "Type a number, such as 0.25, 1e-3 or 25%.";
        return;
      }
      if (Math.abs(value - answer) <= tolerance) {
        feedback.textContent = `Right: the build computed ${box.dataset.answer.replace(/(\.\d{6})\d+/, "$1")}.`;
        box.dataset.state = "solved";
        markSolved(box.id);
        return;
      }
      const hint = hints.find((h) => Math.abs(value - h.value) <= tolerance);
      const direction = value > answer ? "too high" : "too low";
      feedback.textContent = hint
        ? `Not yet. ${hint.message}`
        : `Not yet: ${direction}. Try again, or open the worked solution below.`;
    });
  };

  const setUpChoice = (box, form) => {
    const list = box.querySelector(".dlb-exercise-options");
    const items = [...list.querySelectorAll("li")];
    const reasons = JSON.parse(box.dataset.reasons || "[]");
    const right = Number(box.dataset.answer);
    const predict = box.dataset.kind === "predict";
    const reveal = box.querySelector(".dlb-exercise-reveal");
    const name = `dlb-choice-${++counter}`;
    const fieldset = make("fieldset");
    fieldset.append(make("legend", {}, predict ? "Your prediction" : "Your answer"));
    items.forEach((item, i) => {
      const label = make("label", { class: "dlb-exercise-option" });
      const radio = make("input", { type: "radio", name, value: String(i) });
      const text = make("span");
      text.innerHTML = item.innerHTML; // the option as the build rendered it (math included)
      label.append(radio, text);
      fieldset.append(label);
    });
    const button = make("button", { type: "submit", class: "md-button" },
      predict ? "Commit my guess, then show the figure" : "Check");
    const feedback = feedbackLine();
    form.append(fieldset, button, feedback);
    list.hidden = true; // the radios replace the plain list
    if (reveal) reveal.hidden = true; // predict first, then look
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.querySelector(`input[name="${name}"]:checked`);
      if (!chosen) {
        feedback.textContent = "Choose one option first.";
        return;
      }
      const i = Number(chosen.value);
      box.dataset.state = "tried";
      if (predict) {
        reveal.hidden = false;
        for (const radio of form.querySelectorAll("input")) radio.disabled = true;
        button.disabled = true;
        markSolved(box.id); // a prediction counts once committed, right or not
        box.dataset.state = "solved";
      }
      if (i === right) {
        feedback.textContent = predict ? "Your prediction was right; the figure is below." : "Right.";
        if (!predict) {
          box.dataset.state = "solved";
          markSolved(box.id);
        }
      } else {
        feedback.textContent = `Not quite: ${reasons[i]}${predict ? " The figure is below." : ""}`;
      }
    });
  };

  const restore = (box) => {
    if (!solvedHere().has(box.id)) return;
    box.dataset.state = "solved";
    const feedback = box.querySelector(".dlb-exercise-feedback");
    if (feedback) feedback.textContent = "Solved before on this device.";
    const reveal = box.querySelector(".dlb-exercise-reveal");
    if (reveal) reveal.hidden = false;
  };

  const setUp = (box) => {
    const form = make("form", { class: "dlb-exercise-form", novalidate: "" });
    // the answer comes before the figure a prediction reveals, and before the solution
    box.insertBefore(form, box.querySelector(".dlb-exercise-reveal") || box.querySelector("details"));
    if (box.dataset.kind === "numeric") setUpNumeric(box, form);
    else setUpChoice(box, form);
    restore(box);
    box.setAttribute(READY, "");
  };

  const resetButton = (onReset) => {
    const button = make("button", { type: "button", class: "md-button dlb-exercise-reset" }, "Reset");
    button.addEventListener("click", onReset);
    return button;
  };

  const updateProgress = () => {
    const boxes = document.querySelectorAll(".dlb-exercise");
    const solved = solvedHere();
    const done = [...boxes].filter((b) => solved.has(b.id)).length;
    for (const line of document.querySelectorAll(".dlb-exercise-progress")) {
      const text = line.querySelector(".dlb-exercise-count") || make("span", { class: "dlb-exercise-count" });
      text.textContent = `${done} of ${boxes.length} exercises on this page solved (kept in this browser only).`;
      if (!text.isConnected) {
        line.append(text, " ", resetButton(() => {
          const all = load();
          delete all[pageKey()];
          save(all);
          for (const box of document.querySelectorAll(".dlb-exercise")) {
            delete box.dataset.state;
            const feedback = box.querySelector(".dlb-exercise-feedback");
            if (feedback) feedback.textContent = "";
            for (const input of box.querySelectorAll("form input, form button")) {
              input.disabled = false;
              if (input.type === "radio") input.checked = false;
              if (input.type === "text") input.value = "";
            }
            const reveal = box.querySelector(".dlb-exercise-reveal");
            if (reveal) reveal.hidden = true; // predict again before looking
          }
          updateProgress();
        }));
        line.setAttribute("aria-live", "polite");
      }
    }
  };

  const overview = async (line) => {
    // The home page: every page's count, from the list the build wrote (exercises.json).
    let totals = {};
    try {
      totals = await (await fetch(new URL("exercises.json", __md_scope))).json();
    } catch {
      return;
    }
    const render = () => {
      const all = load();
      const list = make("ul");
      for (const [page, ids] of Object.entries(totals)) {
        const done = ids.filter((id) => (all[page] || []).includes(id)).length;
        const item = make("li");
        const link = make("a", { href: new URL(page, __md_scope).href }, page.replace(/\/$/, ""));
        item.append(link, `: ${done} of ${ids.length} solved`);
        list.append(item);
      }
      line.replaceChildren(list, resetButton(() => {
        save({});
        render();
      }));
    };
    render();
  };

  const setUpAll = () => {
    for (const box of document.querySelectorAll(`.dlb-exercise:not([${READY}])`)) setUp(box);
    updateProgress();
    for (const line of document.querySelectorAll(`.dlb-exercise-progress-all:not([${READY}])`)) {
      line.setAttribute(READY, "");
      overview(line);
    }
  };
  if (typeof document$ !== "undefined") document$.subscribe(setUpAll);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
})();
