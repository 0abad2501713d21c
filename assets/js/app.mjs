// Starts the design system's components (skip link, error summary, header menu, …).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
