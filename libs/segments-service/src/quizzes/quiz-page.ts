import type { ServedQuiz } from './quizzes.service';

/**
 * The embeddable quiz page (`GET /v1/quizzes/:key/page`): plain HTML and one inline script, no
 * framework. The quiz is embedded as JSON (`<` escaped, so no text of the definition can close the
 * script) and rendered with `textContent` only (no HTML from the definition is ever parsed). The
 * script posts to `answers` with the write key that fetched the page — served only for a client
 * key, which anyone may hold — and an anonymous id kept in localStorage, or `?userId=` when given.
 * `nonce` must be the one of the page's Content-Security-Policy.
 */
export function renderQuizPage(quiz: ServedQuiz, writeKey: string, nonce: string): string {
  const data = JSON.stringify({ quiz, writeKey })
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(quiz.title)}</title>
<style nonce="${nonce}">
body { font: 16px/1.4 system-ui, sans-serif; margin: 1rem; max-width: 40rem; }
fieldset { border: 1px solid #ccc; margin: 0 0 1rem; padding: .75rem; }
legend { font-weight: 600; }
label { display: block; margin: .25rem 0; }
.problem { color: #b00020; }
</style>
</head>
<body>
<h1 id="title">${escapeHtml(quiz.title)}</h1>
<form id="quiz" novalidate></form>
<p id="status" role="status"></p>
<script nonce="${nonce}">
(function () {
  var data = ${data};
  var quiz = data.quiz;
  var form = document.getElementById('quiz');
  var status = document.getElementById('status');
  function el(tag, text) { var node = document.createElement(tag); if (text !== undefined) node.textContent = text; return node; }
  quiz.questions.forEach(function (question) {
    var set = el('fieldset'); set.id = 'q-' + question.id; set.dataset.question = question.id;
    set.appendChild(el('legend', question.text + (question.required ? ' *' : '')));
    if (question.kind === 'number') {
      var input = el('input'); input.type = 'number'; input.name = question.id;
      if (question.min !== undefined) input.min = String(question.min);
      if (question.max !== undefined) input.max = String(question.max);
      set.appendChild(input);
    } else {
      question.options.forEach(function (option) {
        var label = el('label'); var input = el('input');
        input.type = question.kind === 'single' ? 'radio' : 'checkbox'; input.name = question.id; input.value = option.value;
        label.appendChild(input); label.appendChild(document.createTextNode(' ' + option.label)); set.appendChild(label);
      });
    }
    var problem = el('p'); problem.className = 'problem'; set.appendChild(problem);
    form.appendChild(set);
  });
  var submit = el('button', 'Send'); submit.type = 'submit'; form.appendChild(submit);
  function visitor() {
    var userId = new URLSearchParams(location.search).get('userId');
    if (userId) return { userId: userId };
    var id = null;
    try { id = localStorage.getItem('audiencekit.anonymousId'); } catch (e) {}
    if (!id) { id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()); try { localStorage.setItem('audiencekit.anonymousId', id); } catch (e) {} }
    return { anonymousId: id };
  }
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var answers = {};
    quiz.questions.forEach(function (question) {
      var inputs = form.querySelectorAll('input[name="' + CSS.escape(question.id) + '"]');
      if (question.kind === 'number') { if (inputs[0].value !== '') answers[question.id] = Number(inputs[0].value); }
      else {
        var chosen = Array.prototype.filter.call(inputs, function (input) { return input.checked; }).map(function (input) { return input.value; });
        if (question.kind === 'single') { if (chosen.length) answers[question.id] = chosen[0]; }
        else if (chosen.length) answers[question.id] = chosen;
      }
    });
    Array.prototype.forEach.call(form.querySelectorAll('.problem'), function (node) { node.textContent = ''; });
    var body = Object.assign({ version: quiz.version, answers: answers, timestamp: new Date().toISOString() }, visitor());
    status.textContent = 'Sending…';
    fetch('/v1/quizzes/' + encodeURIComponent(quiz.key) + '/answers', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic ' + btoa(data.writeKey + ':') },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) {
        if (response.ok) { status.textContent = 'Thank you!'; form.hidden = true; return; }
        status.textContent = json.message || 'Something went wrong';
        (json.details || []).forEach(function (detail) {
          var id = detail.path.indexOf('answers.') === 0 ? detail.path.slice(8) : null;
          var set = id !== null ? document.getElementById('q-' + id) : null;
          if (set) set.querySelector('.problem').textContent = detail.message;
        });
      });
    }).catch(function () { status.textContent = 'Could not send the answers; try again'; });
  });
})();
</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}
