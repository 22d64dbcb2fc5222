// GOV.UK Frontend's start-of-body class switch, as a file: the CSP allows no inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
