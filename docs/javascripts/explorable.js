// Explorables (dlbasics.plotting.explorable): sliders over frames the build drew.
//
// Every frame of an explorable is a pair of SVG files (light and dark palette) that the build
// computed with the library; the page lists them as JSON in the explorable's data-frames. A
// slider only picks a frame: this script swaps the two images, their alt text, the readout
// and the slider's value text. No maths runs here. The controls stay hidden without this
// script, and the default frame is then an ordinary static figure.
//
// Runs on every page Material shows, the first and those reached by instant navigation
// (document$), and initialises each explorable once.
(() => {
  const READY = "data-dlb-ready";

  const setUp = (box) => {
    const frames = JSON.parse(box.dataset.frames);
    const inputs = [...box.querySelectorAll('input[type="range"]')];
    const images = [...box.querySelectorAll("img.dlb-light, img.dlb-dark")];
    const readout = box.querySelector(".dlb-explorable-readout");
    const palette = (img) => (img.classList.contains("dlb-dark") ? "dark" : "light");
    const texts = new Map(inputs.map((input) => [input, JSON.parse(input.dataset.texts)]));
    // The frame of the sliders' positions: the last slider varies fastest, as the build drew.
    const index = (positions) =>
      positions.reduce((k, position, i) => k * (Number(inputs[i].max) + 1) + position, 0);
    const positions = () => inputs.map((input) => Number(input.value));

    const preload = () => {
      // the frames one step away from here, in the palette on screen
      const here = positions();
      const shown = images.find((img) => img.checkVisibility()) || images[0];
      inputs.forEach((input, i) => {
        for (const step of [-1, 1]) {
          const moved = [...here];
          moved[i] += step;
          if (moved[i] < 0 || moved[i] > Number(input.max)) continue;
          new Image().src = frames[index(moved)][palette(shown)];
        }
      });
    };

    const show = () => {
      const k = index(positions());
      const frame = frames[k];
      for (const img of images) {
        img.src = frame[palette(img)];
        img.alt = frame.alt;
      }
      readout.textContent = frame.readout;
      for (const input of inputs) {
        const text = texts.get(input)[Number(input.value)];
        input.setAttribute("aria-valuetext", `${input.dataset.label} = ${text}`);
        box.querySelector(`output[for="${input.id}"]`).textContent = text;
      }
      box.dataset.frame = String(k);
    };

    for (const input of inputs) {
      input.addEventListener("input", () => {
        show();
        preload();
      });
      input.addEventListener("focus", preload, { once: true });
    }
    box.querySelector(".dlb-explorable-controls").hidden = false;
    box.setAttribute(READY, "");
  };

  const setUpAll = () => {
    for (const box of document.querySelectorAll(`.dlb-explorable:not([${READY}])`)) setUp(box);
  };
  if (typeof document$ !== "undefined") document$.subscribe(setUpAll);
  else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
})();
