// Small controllers for every page, bound to markup by data-module. Each page works without them.
import { bindCopy } from "./copy.js";
import { bindAddressCheck } from "./address-check.js";

const summary = document.querySelector("[data-module=error-summary]");
if (summary) summary.focus();
document.querySelectorAll("[data-module=copy]").forEach(bindCopy);
document.querySelectorAll("[data-module=address-check]").forEach(bindAddressCheck);
