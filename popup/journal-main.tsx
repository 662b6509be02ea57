import { render } from 'preact';
import { JournalPage } from './JournalPage';

render(<JournalPage />, document.getElementById('app')!);
