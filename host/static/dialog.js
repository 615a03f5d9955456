/* A modal question with two answers (<dialog>: focus stays inside, Escape cancels), for what
 * cannot be taken back lightly: ending an interview, removing a household member, deleting. */
import { h } from './dom.js';
import { t } from './words.js';

/** Resolves true when the person confirms. */
export function confirmDialog({ title, body, yes, danger = false }) {
  return new Promise((resolve) => {
    const back = document.activeElement;
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-body' },
      h('h2', { id: 'confirm-title', text: title }),
      h('p', { id: 'confirm-body', text: body }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', 'data-answer': 'no', text: t('cancel'), onclick: () => dialog.close('no') }),
        h('button', { type: 'button', class: danger ? 'primary danger' : 'primary', 'data-answer': 'yes', text: yes, onclick: () => dialog.close('yes') })));
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (back && back.isConnected) back.focus();
      resolve(dialog.returnValue === 'yes');
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('[data-answer=no]').focus();
  });
}
