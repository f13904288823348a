import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractPerson } from './extract-person.ts';

describe('extractPerson', () => {
  it('takes the name and company a visitor states', () => {
    assert.deepEqual(extractPerson("I'm Jane from Acme Corp"), { name: 'Jane', company: 'Acme Corp' });
    assert.deepEqual(extractPerson('Hi, Tom here from Northwind Logistics'), {
      name: 'Tom',
      company: 'Northwind Logistics',
    });
    assert.deepEqual(extractPerson('my name is priya'), { name: 'Priya' });
    assert.deepEqual(extractPerson('I work at Globex as CFO'), { company: 'Globex' });
    assert.deepEqual(extractPerson("I'm the owner of Rossi Motors and we lose leads"), {
      company: 'Rossi Motors',
    });
    assert.deepEqual(extractPerson('Our company is called Blue Harbor Logistics.'), {
      company: 'Blue Harbor Logistics',
    });
    assert.deepEqual(extractPerson('Ich bin Anna Schmidt von der Müller GmbH'), {
      name: 'Anna Schmidt',
      company: 'Müller GmbH',
    });
  });

  it('reads signatures and "<name> from <company>" openings', () => {
    assert.deepEqual(extractPerson('Dana Whitfield, CMO at Acme Corp'), {
      name: 'Dana Whitfield',
      company: 'Acme Corp',
    });
    assert.deepEqual(extractPerson('Hi there, Olu from Brightside'), { name: 'Olu', company: 'Brightside' });
    assert.deepEqual(extractPerson('Name: Kofi Mensah'), { name: 'Kofi Mensah' });
    assert.deepEqual(extractPerson('Greetings from Berlin'), {});
  });

  it('never reads a title, a verb or a greeting as a name', () => {
    assert.deepEqual(extractPerson("I'm looking for a CRM"), {});
    assert.deepEqual(extractPerson('Head of Growth here'), {});
    assert.deepEqual(extractPerson("I'm interested in pricing"), {});
    assert.deepEqual(extractPerson("I'm the CTO of a 200-person logistics company"), {});
  });

  it('takes a short capitalised answer beside the address as the name when contact details were asked', () => {
    assert.deepEqual(extractPerson('Jane Doe, jane@acme.com', 'contact'), { name: 'Jane Doe' });
    assert.deepEqual(extractPerson('jane@acme.com', 'contact'), {});
  });
});
