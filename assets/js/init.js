// Runs first in <body>: tells the design system's CSS that JavaScript is available. A file, not an
// inline script, so that the Content-Security-Policy can forbid inline scripts altogether.
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
