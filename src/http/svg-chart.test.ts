import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineChart, niceMax } from './svg-chart.js';

describe('the dashboard chart', () => {
  it('rounds the y axis up to 1, 2 or 5 times a power of ten', () => {
    assert.deepEqual([0, 1, 3, 7, 12, 180, 4321].map(niceMax), [1, 1, 5, 10, 20, 200, 5000]);
  });

  it('draws one line per series, scaled to the axis, with escaped names and labels', () => {
    const svg = lineChart(
      'Mail <sent>',
      ['2026-11-01', '2026-11-02', '2026-11-03'],
      [
        { name: 'Sent & "more"', colour: 'var(--c1)', values: [0, 5, 10] },
        { name: 'Bounces', colour: 'var(--c3)', values: [0, 0, 1] },
      ],
    );
    assert.equal(svg.match(/<polyline /g)?.length, 2);
    assert.match(svg, /aria-label="Mail &lt;sent&gt;"/);
    assert.match(svg, /<title>Sent &amp; &quot;more&quot;<\/title>/);
    // 10 is the top of the axis (y = 12), 0 its bottom (y = 172).
    assert.match(svg, /points="48\.0,172\.0 338\.0,92\.0 628\.0,12\.0"/);
    assert.match(svg, />2026-11-02</);
  });

  it('draws an empty month as flat lines at zero, never dividing by zero', () => {
    const svg = lineChart('Nothing', ['a', 'b'], [{ name: 'Sent', colour: 'red', values: [0, 0] }]);
    assert.match(svg, />2<\/text>.*>1<\/text>.*>0<\/text>/, 'the axis goes to 2 at least: whole numbers');
    assert.match(svg, /points="48\.0,172\.0 628\.0,172\.0"/);
    assert.doesNotMatch(svg, /NaN|Infinity/);
  });
});
